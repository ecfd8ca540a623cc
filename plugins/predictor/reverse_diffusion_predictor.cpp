// Reverse diffusion: the SDE's own discretisation run backwards (Song et al. 2021, app. E).
#include <ATen/ATen.h>

#include "scoregen/pc_steps.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class ReverseDiffusionPredictor : public Predictor {
 public:
  explicit ReverseDiffusionPredictor(const BuildContext&) {}
  Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, double, at::Generator& gen) override {
    auto [f, g] = model.sde().discretize(x, t);
    at::Tensor G = batch_view(g, x);
    // x_mean = x - (f_i - G_i^2 s);  x = x_mean + G_i z
    at::Tensor score = model.score(x, t);
    at::Tensor mean = x - (f - G * G * score);
    return {mean + G * randn_like_from(x, gen), mean, g, score};
  }
  bool uses_sde_grid() const override { return true; }
};

SCOREGEN_PLUGIN(Predictor, "reverse-diffusion", "the SDE's own discretisation run backwards (N steps)",
                ReverseDiffusionPredictor);

}  // namespace scoregen::plugins
