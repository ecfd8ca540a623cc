// VE SDE: dx = sigma(t) sqrt(2 ln(smax/smin)) dW (seed 001 eq. 30; sde_lib.VESDE).
#include "ve_sde.hpp"

#include <cmath>

#include "scoregen/schedules.hpp"

namespace scoregen::plugins {

namespace {
std::int64_t positive_steps(const Options& o, const char* key) {
  if (o.integer(key) < 2) o.fail(key, "needs at least 2 steps");
  return o.integer(key);
}
}  // namespace

VeSde::VeSde(double sigma_min, double sigma_max, std::int64_t n) : sigma_min_(sigma_min), sigma_max_(sigma_max), n_(n) {}

VeSde::VeSde(const Options& o, const BuildContext&) : VeSde(0, 0, positive_steps(o, "N")) { read_sigmas(o); }

void VeSde::read_sigmas(const Options& o) {
  if (o.is_auto("sigma_max")) o.fail("sigma_max", "\"auto\" is resolved from the [data] set; this command has none");
  sigma_min_ = o.real("sigma_min");
  sigma_max_ = o.real("sigma_max");
  if (!(sigma_min_ > 0)) o.fail("sigma_min", "must be > 0");
  if (!(sigma_max_ > sigma_min_)) o.fail("sigma_max", "must be greater than sigma_min");
}

at::Tensor VeSde::drift(const at::Tensor& x, const at::Tensor&) const { return at::zeros_like(x); }

at::Tensor VeSde::diffusion(const at::Tensor& t) const {
  // g(t) = sigma(t) sqrt(2 ln(smax / smin))
  return schedule::ve_sigma(t, sigma_min_, sigma_max_) * std::sqrt(2.0 * std::log(sigma_max_ / sigma_min_));
}

at::Tensor VeSde::mean_coeff(const at::Tensor& t) const { return at::ones_like(t); }

at::Tensor VeSde::marginal_std(const at::Tensor& t) const { return schedule::ve_sigma(t, sigma_min_, sigma_max_); }

at::Tensor VeSde::discrete_sigmas() const { return schedule::geometric_ladder(sigma_min_, sigma_max_, n_); }

std::pair<at::Tensor, at::Tensor> VeSde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  // SMLD discretisation (VESDE.discretize): f = 0, G_i = sqrt(sigma_i^2 - sigma_{i-1}^2), sigma_{-1} = 0.
  at::Tensor sigmas = discrete_sigmas().to(t.options());
  at::Tensor i = timestep(t);
  at::Tensor sigma = sigmas.index_select(0, i);
  at::Tensor prev = at::where(i == 0, at::zeros_like(sigma), sigmas.index_select(0, (i - 1).clamp_min(0)));
  return {at::zeros_like(x), at::sqrt(sigma * sigma - prev * prev)};
}

SCOREGEN_PLUGIN(Sde, "ve", "variance-exploding SDE (SMLD / NCSN++), sigma(t) = smin (smax/smin)^t", VeSde,
                opt::real("sigma_min", 0.01, "smallest noise level sigma(0)"),
                opt::real_or_auto("sigma_max", 50.0,
                                  "largest noise level sigma(1); \"auto\": the largest pairwise distance in the data"),
                opt::integer("N", 1000, "discretisation steps (reverse diffusion, ancestral sampling)"));

}  // namespace scoregen::plugins
