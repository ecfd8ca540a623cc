// Reverse diffusion: the SDE's own discretisation run backwards (seed 001 eq. 46; sampling.ReverseDiffusionPredictor).
#include "pc_steps.hpp"

namespace scoregen::plugins {

class ReverseDiffusionPredictor : public Predictor {
 public:
  Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, at::Generator& gen) override {
    auto [f, g] = model.sde().discretize(x, t);
    at::Tensor G = batch_view(g, x);
    // x_mean = x - (f_i - G_i^2 s);  x = x_mean + G_i z
    at::Tensor mean = x - (f - G * G * model.score(x, t));
    return {mean + G * noise_like(x, gen), mean};
  }
};

std::unique_ptr<Predictor> make_reverse_diffusion() { return std::make_unique<ReverseDiffusionPredictor>(); }

}  // namespace scoregen::plugins
