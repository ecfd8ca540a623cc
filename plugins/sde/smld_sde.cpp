// SMLD: the discrete geometric noise ladder of NCSN (Song & Ermon 2019, sec. 4.2); a VE SDE whose t lives on the
// grid t_i = i / (L - 1).
#include <ATen/ATen.h>

#include "ve_sde.hpp"

namespace scoregen::plugins {

class SmldSde : public VeSde {
 public:
  struct Settings {
    double sigma_min = 0.01;
    RealOrAuto sigma_max{1.0, false};
    std::int64_t L = 10;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::sigma_min, "sigma_min", "smallest noise level sigma_L").above(0);
    d(&Settings::sigma_max, "sigma_max", "largest noise level sigma_1; \"auto\": largest pairwise data distance").above(0);
    d(&Settings::L, "L", "number of noise levels").at_least(2).at_most(1e6);
  }
  SmldSde(const Settings& s, const Options& o, const BuildContext&) : VeSde(s.sigma_min, s.sigma_max, s.L, o) {}

  bool is_discrete() const override { return true; }
  // On the grid t_i = i / (L - 1) the kernel std is exactly the ladder value sigma_i.
  at::Tensor marginal_std(const at::Tensor& t) const override {
    return discrete_sigmas().to(t.options()).index_select(0, timestep(t));
  }
};

SCOREGEN_PLUGIN(Sde, "smld", "NCSN's discrete geometric noise ladder sigma_1..sigma_L (a discrete VE SDE)", SmldSde);

}  // namespace scoregen::plugins
