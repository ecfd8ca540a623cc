// Denoising score matching (Vincent 2011) on the SDE's perturbation kernel (Song et al. 2021, eq. 7), with
// lambda = sigma^2 or the likelihood weighting g(t)^2 (Song et al. 2021b, "Maximum likelihood training").
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class DsmObjective : public Objective {
 public:
  struct Settings {
    std::string weighting = "sigma2", reduction = "mean";
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::weighting, "weighting", "lambda(t): sigma2 (sigma(t)^2) or likelihood (g(t)^2)").one_of({"sigma2", "likelihood"});
    d(&Settings::reduction, "reduction", "per-example loss: mean over dimensions or half the sum").one_of({"mean", "half-sum"});
  }
  DsmObjective(const Settings& s, const BuildContext& ctx)
      : sde_(ctx.sde),
        weighting_(s.weighting == "likelihood" ? objective::DsmWeighting::Likelihood : objective::DsmWeighting::SigmaSquared),
        reduction_(s.reduction == "half-sum" ? objective::DsmReduction::HalfSum : objective::DsmReduction::Mean) {}

  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    return objective::dsm_loss(*trainee.network, *sde_, batch, rng, weighting_, reduction_);
  }
  std::string describe() const override {
    return fmt::format("dsm ({} weighting, {})", weighting_ == objective::DsmWeighting::Likelihood ? "likelihood g^2" : "sigma^2",
                       reduction_ == objective::DsmReduction::HalfSum ? "1/2 sum over dimensions" : "mean over dimensions");
  }

 private:
  std::shared_ptr<Sde> sde_;
  objective::DsmWeighting weighting_;
  objective::DsmReduction reduction_;
};

SCOREGEN_PLUGIN(Objective, "dsm", "denoising score matching on the SDE's kernel, lambda = sigma^2 or g^2", DsmObjective);

}  // namespace scoregen::plugins
