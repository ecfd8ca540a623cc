// NCSN's annealed denoising score matching (Song & Ermon 2019, eq. 5-6): sigma drawn uniformly from the ladder,
// 1/2 |sigma s + z|^2 summed over dimensions.
#include "scoregen/error.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class NcsnObjective : public Objective {
 public:
  explicit NcsnObjective(const BuildContext& ctx) : sde_(ctx.sde) {
    if (!sde_ || !sde_->is_discrete() || !sde_->discrete_sigmas().defined())
      throw Error("[objective] ncsn trains over a discrete noise ladder: use [sde] plugin = \"smld\"");
  }
  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    return objective::dsm_loss(*trainee.network, *sde_, batch, rng, objective::DsmWeighting::SigmaSquared,
                               objective::DsmReduction::HalfSum);
  }
  std::string describe() const override { return "ncsn (annealed DSM over the sigma ladder, 1/2 sum over dimensions)"; }

 private:
  std::shared_ptr<Sde> sde_;
};

SCOREGEN_PLUGIN(Objective, "ncsn", "NCSN's annealed DSM over the smld ladder (sigma^2 weighting, half sum)", NcsnObjective);

}  // namespace scoregen::plugins
