// VE SDE: dx = sigma(t) sqrt(2 ln(smax/smin)) dW, sigma(t) = smin (smax/smin)^t (Song et al. 2021, eq. 9 and app. B).
#include "ve_sde.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "scoregen/schedules.hpp"

namespace scoregen::plugins {

void VeSde::declare(Declaration<Settings>& d) {
  d(&Settings::sigma_min, "sigma_min", "smallest noise level sigma(0)").above(0);
  d(&Settings::sigma_max, "sigma_max", "largest noise level sigma(1); \"auto\": the largest pairwise distance in the data")
      .above(0);
  d(&Settings::N, "N", "discretisation steps (reverse diffusion, ancestral sampling)").at_least(2).at_most(1e6);
}

VeSde::VeSde(double sigma_min, const RealOrAuto& sigma_max, std::int64_t n, const Options& o)
    : sigma_min_(sigma_min), sigma_max_(sigma_max.value), n_(n) {
  if (sigma_max.automatic) o.fail("sigma_max", "\"auto\" is resolved from the [data] set; this command has none");
  if (!(sigma_max_ > sigma_min_)) o.fail("sigma_max", "must be greater than sigma_min");
}

VeSde::VeSde(const Settings& s, const Options& o, const BuildContext&) : VeSde(s.sigma_min, s.sigma_max, s.N, o) {}

at::Tensor VeSde::drift(const at::Tensor& x, const at::Tensor&) const { return at::zeros_like(x); }

at::Tensor VeSde::diffusion(const at::Tensor& t) const {
  // g(t) = sigma(t) sqrt(2 ln(smax / smin))
  return schedule::ve_sigma(t, sigma_min_, sigma_max_) * std::sqrt(2.0 * std::log(sigma_max_ / sigma_min_));
}

at::Tensor VeSde::mean_coeff(const at::Tensor& t) const { return at::ones_like(t); }

at::Tensor VeSde::marginal_std(const at::Tensor& t) const { return schedule::ve_sigma(t, sigma_min_, sigma_max_); }

at::Tensor VeSde::discrete_sigmas() const { return schedule::geometric_ladder(sigma_min_, sigma_max_, n_); }

std::pair<at::Tensor, at::Tensor> VeSde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  // SMLD discretisation (Song et al. 2021, eq. 8): f = 0, G_i = sqrt(sigma_i^2 - sigma_{i-1}^2), sigma_{-1} = 0.
  at::Tensor sigmas = discrete_sigmas().to(t.options());
  at::Tensor i = timestep(t);
  at::Tensor sigma = sigmas.index_select(0, i);
  at::Tensor prev = at::where(i == 0, at::zeros_like(sigma), sigmas.index_select(0, (i - 1).clamp_min(0)));
  return {at::zeros_like(x), at::sqrt(sigma * sigma - prev * prev)};
}

AncestralStep VeSde::ancestral_step(const at::Tensor& x, const at::Tensor& score, const at::Tensor& t) const {
  at::Tensor sigmas = discrete_sigmas().to(x.options());
  at::Tensor i = timestep(t);
  at::Tensor sigma = sigmas.index_select(0, i);
  at::Tensor prev = at::where(i == 0, at::zeros_like(sigma), sigmas.index_select(0, (i - 1).clamp_min(0)));
  // SMLD ancestral step (Song et al. 2021, app. F): mean = x + (sigma_i^2 - sigma_{i-1}^2) s,
  // std = sqrt(sigma_{i-1}^2 (sigma_i^2 - sigma_{i-1}^2) / sigma_i^2)
  at::Tensor var_step = sigma * sigma - prev * prev;
  return {x + batch_view(var_step, x) * score, at::sqrt(prev * prev * var_step / (sigma * sigma))};
}

SCOREGEN_PLUGIN(Sde, "ve", "variance-exploding SDE (SMLD / NCSN++), sigma(t) = smin (smax/smin)^t", VeSde);

}  // namespace scoregen::plugins
