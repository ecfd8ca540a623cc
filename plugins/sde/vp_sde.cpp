// VP SDE: dx = -1/2 beta(t) x dt + sqrt(beta(t)) dW (seed 001 eq. 32; sde_lib.VPSDE).
#include "vp_sde.hpp"

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/schedules.hpp"

namespace scoregen::plugins {

void read_beta_options(const Options& o, double& beta_min, double& beta_max, std::int64_t& n) {
  beta_min = o.real("beta_min");
  beta_max = o.real("beta_max");
  n = o.integer("N");
  if (!(beta_min > 0)) o.fail("beta_min", "must be > 0");
  if (!(beta_max > beta_min)) o.fail("beta_max", "must be greater than beta_min");
  if (n < 2) o.fail("N", "needs at least 2 steps");
}

VpSde::VpSde(const Options& o, const BuildContext&) { read_beta_options(o, beta_min_, beta_max_, n_); }

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

std::pair<at::Tensor, at::Tensor> VpSde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  // DDPM discretisation (VPSDE.discretize): f_i = (sqrt(1 - beta_i) - 1) x, G_i = sqrt(beta_i).
  if (beta_max_ / static_cast<double>(n_) >= 1.0)
    throw Error(fmt::format("the discrete VP steps need beta_max / N < 1 (beta_max {}, N {}): raise [sde] N", beta_max_, n_));
  at::Tensor beta = discrete_betas().to(t.options()).index_select(0, timestep(t));
  return {batch_view(at::sqrt(1.0 - beta) - 1.0, x) * x, at::sqrt(beta)};
}

SCOREGEN_PLUGIN(Sde, "vp", "variance-preserving SDE (DDPM / DDPM++), linear beta(t)", VpSde,
                opt::real("beta_min", 0.1, "beta(0)"), opt::real("beta_max", 20.0, "beta(1)"),
                opt::integer("N", 1000, "discretisation steps (reverse diffusion, ancestral sampling)"));

}  // namespace scoregen::plugins
