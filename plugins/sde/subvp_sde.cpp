// sub-VP SDE: dx = -1/2 beta x dt + sqrt(beta(t)(1 - e^{-2 int beta})) dW (seed 001 eq. 34; sde_lib.subVPSDE).
#include "vp_sde.hpp"

#include "scoregen/schedules.hpp"

namespace scoregen::plugins {

class SubVpSde : public VpSde {
 public:
  using VpSde::VpSde;
  SdeFamily family() const override { return SdeFamily::SubVP; }
  at::Tensor diffusion(const at::Tensor& t) const override {
    // g(t) = sqrt(beta(t) (1 - e^{-2 int_0^t beta})), int_0^t beta = -2 m(t)
    at::Tensor m = schedule::vp_log_mean_coeff(t, beta_min_, beta_max_);
    return at::sqrt(schedule::vp_beta(t, beta_min_, beta_max_) * -at::expm1(4.0 * m));
  }
  at::Tensor marginal_std(const at::Tensor& t) const override {
    // s(t) = 1 - e^{2 m(t)} (no square root)
    return -at::expm1(2.0 * schedule::vp_log_mean_coeff(t, beta_min_, beta_max_));
  }
};

SCOREGEN_PLUGIN(Sde, "subvp", "sub-VP SDE (variance bounded by the VP SDE's), linear beta(t)", SubVpSde,
                opt::real("beta_min", 0.1, "beta(0)"), opt::real("beta_max", 20.0, "beta(1)"),
                opt::integer("N", 1000, "discretisation steps (reverse diffusion, ancestral sampling)"));

}  // namespace scoregen::plugins
