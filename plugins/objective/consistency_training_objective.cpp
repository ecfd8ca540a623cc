// Consistency training without a teacher (Song et al. 2023, alg. 3) with iCT's improvements by default: pseudo-Huber
// distance, lambda = 1 / (sigma_{n+1} - sigma_n), the lognormal proposal, the doubling curriculum and no target EMA
// (Song & Dhariwal 2023, sec. 3); ECT's continuous levels (Geng et al. 2024) with curriculum = "ect".
#include <fmt/format.h>

#include "scoregen/consistency.hpp"
#include "scoregen/network.hpp"
#include "scoregen/objective.hpp"

namespace scoregen::plugins {

class ConsistencyTrainingObjective : public Objective {
 public:
  struct Settings : consistency::Settings {
    Settings() {
      levels = 10, max_levels = 1280, curriculum = "ict", proposal = "lognormal";
      distance = "pseudo-huber", weighting = "inverse-gap", mu = 0.0;
    }
  };
  static void declare(Declaration<Settings>& d) { consistency::declare_settings(d); }
  ConsistencyTrainingObjective(const Settings& s, const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), schedule_(s, o, Settings()) {}

  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    consistency::require_trainee(trainee, "consistency-training");
    consistency::Pair p = schedule_.draw_pair(*sde_, batch.x, trainee, rng);
    return schedule_.loss(*trainee.network, *trainee.target, *sde_, p, batch.y);
  }
  double target_decay(std::int64_t step, std::int64_t steps) const override { return schedule_.target_decay(step, steps); }
  std::string describe() const override { return "consistency training (" + schedule_.describe() + ")"; }

 private:
  std::shared_ptr<Sde> sde_;
  consistency::Schedule schedule_;
};

SCOREGEN_PLUGIN(Objective, "consistency-training",
                "consistency training of a consistency network without a teacher (iCT: pseudo-Huber, lognormal levels, "
                "curriculum; ECT's continuous levels with curriculum = \"ect\", from a score model with train --init)", ConsistencyTrainingObjective);

}  // namespace scoregen::plugins
