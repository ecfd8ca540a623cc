// DDPM: the discrete linear-beta chain (Ho et al. 2020, sec. 2), alpha_bar_i = prod_j (1 - beta_j); a discrete VP SDE.
#include <ATen/ATen.h>

#include "vp_sde.hpp"

namespace scoregen::plugins {

class DdpmSde : public VpSde {
 public:
  static void declare(Declaration<Settings>& d) {
    d(&Settings::beta_min, "beta_min", "N * beta_1 (0.1 gives beta_1 = 1e-4 at N = 1000)").above(0);
    d(&Settings::beta_max, "beta_max", "N * beta_N (20 gives beta_N = 0.02 at N = 1000)").above(0);
    d(&Settings::N, "N", "chain length").at_least(2).at_most(1e6);
  }
  DdpmSde(const Settings& s, const Options& o, const BuildContext& ctx) : VpSde(s, o, ctx) {
    if (beta_max_ / static_cast<double>(n_) >= 1.0) o.fail("N", "too short a chain: beta_N = beta_max / N must be below 1");
  }
  bool is_discrete() const override { return true; }
  at::Tensor mean_coeff(const at::Tensor& t) const override {
    // sqrt(alpha_bar_i) at i = round(t (N-1))
    return at::sqrt(alpha_bar(t));
  }
  at::Tensor marginal_std(const at::Tensor& t) const override {
    // sqrt(1 - alpha_bar_i)
    return at::sqrt(1.0 - alpha_bar(t));
  }

 private:
  at::Tensor alpha_bar(const at::Tensor& t) const {
    // alpha_bar_i = prod_{j <= i} (1 - beta_j) (Ho et al. 2020, eq. 4)
    at::Tensor ab = at::cumprod(1.0 - discrete_betas(), 0);
    return ab.to(t.options()).index_select(0, timestep(t));
  }
};

SCOREGEN_PLUGIN(Sde, "ddpm", "DDPM's discrete chain, beta_i = linspace(beta_min/N, beta_max/N, N)", DdpmSde);

}  // namespace scoregen::plugins
