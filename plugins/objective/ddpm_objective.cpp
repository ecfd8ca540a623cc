// DDPM's L_simple = |eps_hat - eps|^2 (Ho et al. 2020, eq. 14): on the discrete chain it is DSM with lambda = sigma^2
// and the mean over dimensions.
#include "scoregen/error.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class DdpmObjective : public Objective {
 public:
  explicit DdpmObjective(const BuildContext& ctx) : sde_(ctx.sde) {
    if (!sde_ || !sde_->is_discrete() || !sde_->discrete_betas().defined())
      throw Error("[objective] ddpm trains the discrete VP chain: use [sde] plugin = \"ddpm\"");
  }
  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    return objective::dsm_loss(*trainee.network, *sde_, batch, rng, objective::DsmWeighting::SigmaSquared,
                               objective::DsmReduction::Mean);
  }
  std::string describe() const override { return "ddpm (L_simple on the chain, mean over dimensions)"; }

 private:
  std::shared_ptr<Sde> sde_;
};

SCOREGEN_PLUGIN(Objective, "ddpm", "DDPM's L_simple on the ddpm chain (epsilon MSE)", DdpmObjective);

}  // namespace scoregen::plugins
