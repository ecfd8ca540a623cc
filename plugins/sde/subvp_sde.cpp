// sub-VP SDE: dx = -1/2 beta x dt + sqrt(beta(t)(1 - e^{-2 int_0^t beta})) dW (Song et al. 2021, eq. 12).
#include <ATen/ATen.h>

#include "scoregen/schedules.hpp"
#include "vp_sde.hpp"

namespace scoregen::plugins {

class SubVpSde : public VpSde {
 public:
  using VpSde::VpSde;
  at::Tensor diffusion(const at::Tensor& t) const override {
    // g(t) = sqrt(beta(t) (1 - e^{-2 int_0^t beta})), int_0^t beta = -2 m(t)
    at::Tensor m = schedule::vp_log_mean_coeff(t, beta_min_, beta_max_);
    return at::sqrt(schedule::vp_beta(t, beta_min_, beta_max_) * -at::expm1(4.0 * m));
  }
  at::Tensor marginal_std(const at::Tensor& t) const override {
    // s(t) = 1 - e^{2 m(t)} (no square root)
    return -at::expm1(2.0 * schedule::vp_log_mean_coeff(t, beta_min_, beta_max_));
  }
  // No discrete chain has the sub-VP marginals.
  bool has_ancestral_step() const override { return false; }
  AncestralStep ancestral_step(const at::Tensor& x, const at::Tensor& score, const at::Tensor& t) const override {
    return Sde::ancestral_step(x, score, t);
  }
};

SCOREGEN_PLUGIN(Sde, "subvp", "sub-VP SDE (variance bounded by the VP SDE's), linear beta(t)", SubVpSde);

}  // namespace scoregen::plugins
