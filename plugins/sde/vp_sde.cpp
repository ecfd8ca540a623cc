// VP SDE: dx = -1/2 beta(t) x dt + sqrt(beta(t)) dW (Song et al. 2021, eq. 11).
#include "vp_sde.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/schedules.hpp"

namespace scoregen::plugins {

void VpSde::declare(Declaration<Settings>& d) {
  d(&Settings::beta_min, "beta_min", "beta(0)").above(0);
  d(&Settings::beta_max, "beta_max", "beta(1)").above(0);
  d(&Settings::N, "N", "discretisation steps (reverse diffusion, ancestral sampling)").at_least(2).at_most(1e6);
}

VpSde::VpSde(const Settings& s, const Options& o, const BuildContext&) : beta_min_(s.beta_min), beta_max_(s.beta_max), n_(s.N) {
  if (!(beta_max_ > beta_min_)) o.fail("beta_max", "must be greater than beta_min");
}

at::Tensor VpSde::drift(const at::Tensor& x, const at::Tensor& t) const {
  // f(x, t) = -1/2 beta(t) x
  return -0.5 * batch_view(schedule::vp_beta(t, beta_min_, beta_max_), x) * x;
}

at::Tensor VpSde::diffusion(const at::Tensor& t) const {
  // g(t) = sqrt(beta(t))
  return at::sqrt(schedule::vp_beta(t, beta_min_, beta_max_));
}

at::Tensor VpSde::mean_coeff(const at::Tensor& t) const {
  // a(t) = e^{m(t)}
  return at::exp(schedule::vp_log_mean_coeff(t, beta_min_, beta_max_));
}

at::Tensor VpSde::marginal_std(const at::Tensor& t) const {
  // s(t) = sqrt(1 - e^{2 m(t)})
  return at::sqrt(-at::expm1(2.0 * schedule::vp_log_mean_coeff(t, beta_min_, beta_max_)));
}

at::Tensor VpSde::discrete_betas() const { return schedule::ddpm_betas(beta_min_, beta_max_, n_); }

void VpSde::require_discrete_betas_below_one(const char* what) const {
  if (beta_max_ / static_cast<double>(n_) >= 1.0)
    throw Error(fmt::format("{} need every discrete beta_i = beta(t_i) / N below 1 (beta_max {}, N {}): raise [sde] N",
                            what, beta_max_, n_));
}

std::pair<at::Tensor, at::Tensor> VpSde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  // DDPM discretisation (Song et al. 2021, eq. 10): f_i = (sqrt(1 - beta_i) - 1) x, G_i = sqrt(beta_i).
  require_discrete_betas_below_one("the discrete VP steps");
  at::Tensor beta = discrete_betas().to(t.options()).index_select(0, timestep(t));
  return {batch_view(at::sqrt(1.0 - beta) - 1.0, x) * x, at::sqrt(beta)};
}

at::Tensor VpSde::langevin_alpha(const at::Tensor& t) const {
  // alpha_i = 1 - beta_i (Song et al. 2021, alg. 5)
  return 1.0 - discrete_betas().to(t.options()).index_select(0, timestep(t));
}

AncestralStep VpSde::ancestral_step(const at::Tensor& x, const at::Tensor& score, const at::Tensor& t) const {
  require_discrete_betas_below_one("ancestral steps");
  at::Tensor beta = discrete_betas().to(x.options()).index_select(0, timestep(t));
  // DDPM ancestral step (Song et al. 2021, eq. 4): mean = (x + beta_i s) / sqrt(1 - beta_i), std = sqrt(beta_i)
  return {(x + batch_view(beta, x) * score) / batch_view(at::sqrt(1.0 - beta), x), at::sqrt(beta)};
}

SCOREGEN_PLUGIN(Sde, "vp", "variance-preserving SDE (DDPM / DDPM++), linear beta(t)", VpSde);

}  // namespace scoregen::plugins
