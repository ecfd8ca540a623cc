// Cross-entropy of a time-dependent classifier on data noised by the SDE at t ~ U(eps, T) (Song et al. 2021,
// app. I.1): trains the [guidance] classifier that class guidance and `eval` use.
#include <ATen/ATen.h>

#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class ClassifierObjective : public Objective {
 public:
  explicit ClassifierObjective(const BuildContext& ctx) : sde_(ctx.sde) {
    if (ctx.num_classes < 2) throw Error("[objective] classifier needs labelled [data]");
  }
  TrainingTarget target() const override { return TrainingTarget::Guidance; }
  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    objective::Perturbed p = objective::perturb(*sde_, batch.x, rng);
    return at::cross_entropy_loss(trainee.guidance->logits(p.xt, p.t), batch.y);
  }
  std::string describe() const override { return "classifier cross-entropy on noised data"; }

 private:
  std::shared_ptr<Sde> sde_;
};

SCOREGEN_PLUGIN(Objective, "classifier", "trains the [guidance] classifier by cross-entropy on noised data",
                ClassifierObjective);

}  // namespace scoregen::plugins
