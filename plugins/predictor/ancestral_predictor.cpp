// Ancestral sampling of the discrete chains (Song et al. 2021, eq. 4 and app. F): the step the SDE's own chain
// defines (SMLD ladder or DDPM betas).
#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/pc_steps.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class AncestralPredictor : public Predictor {
 public:
  explicit AncestralPredictor(const BuildContext& ctx) {
    if (ctx.sde && !ctx.sde->has_ancestral_step())
      throw Error("the ancestral predictor needs an SDE with a discrete chain (ve, smld, vp, ddpm); sub-VP has none: "
                  "use reverse-diffusion");
  }
  Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, double, at::Generator& gen) override {
    at::Tensor score = model.score(x, t);
    AncestralStep a = model.sde().ancestral_step(x, score, t);
    // x = mean + std z
    return {a.mean + batch_view(a.std, x) * randn_like_from(x, gen), a.mean, a.std, score};
  }
  bool uses_sde_grid() const override { return true; }
};

SCOREGEN_PLUGIN(Predictor, "ancestral", "ancestral step of the SDE's discrete chain (N steps; ve, smld, vp, ddpm)",
                AncestralPredictor);

}  // namespace scoregen::plugins
