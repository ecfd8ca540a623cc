// Euler-Maruyama on the reverse SDE (seed 001 eq. 6; sampling.EulerMaruyamaPredictor).
#include "pc_steps.hpp"

namespace scoregen::plugins {

class EulerMaruyamaPredictor : public Predictor {
 public:
  Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, at::Generator& gen) override {
    Sde& sde = model.sde();
    const double dt = -sde.T() / static_cast<double>(sde.N());
    at::Tensor g = batch_view(sde.diffusion(t), x);
    // x_mean = x + (f - g^2 s) dt;  x = x_mean + g sqrt(-dt) z
    at::Tensor mean = x + (sde.drift(x, t) - g * g * model.score(x, t)) * dt;
    return {mean + g * std::sqrt(-dt) * noise_like(x, gen), mean};
  }
};

std::unique_ptr<Predictor> make_euler_maruyama() { return std::make_unique<EulerMaruyamaPredictor>(); }

}  // namespace scoregen::plugins
