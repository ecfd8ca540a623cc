// SMLD: the discrete geometric noise ladder of NCSN (seed 001 sec. 2.1); a VE SDE whose t lives on the grid.
#include "ve_sde.hpp"

namespace scoregen::plugins {

class SmldSde : public VeSde {
 public:
  SmldSde(const Options& o, const BuildContext&) : VeSde(0, 0, o.integer("L")) {
    if (o.integer("L") < 2) o.fail("L", "needs at least 2 noise levels");
    read_sigmas(o);
  }
  bool is_discrete() const override { return true; }
  // On the grid t_i = i/(L-1) the kernel std is exactly the ladder value sigma_i.
  at::Tensor marginal_std(const at::Tensor& t) const override {
    return discrete_sigmas().to(t.options()).index_select(0, timestep(t));
  }
};

SCOREGEN_PLUGIN(Sde, "smld", "NCSN's discrete geometric noise ladder sigma_1..sigma_L (a discrete VE SDE)", SmldSde,
                opt::real("sigma_min", 0.01, "smallest noise level sigma_L"),
                opt::real_or_auto("sigma_max", 1.0, "largest noise level sigma_1; \"auto\": largest pairwise data distance"),
                opt::integer("L", 10, "number of noise levels"));

}  // namespace scoregen::plugins
