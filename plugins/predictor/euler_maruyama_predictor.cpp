// Euler-Maruyama on the reverse-time SDE (Song et al. 2021, eq. 6).
#include <cmath>

#include <ATen/ATen.h>

#include "scoregen/pc_steps.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class EulerMaruyamaPredictor : public Predictor {
 public:
  explicit EulerMaruyamaPredictor(const BuildContext&) {}
  Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, double dt, at::Generator& gen) override {
    Sde& sde = model.sde();
    at::Tensor g = sde.diffusion(t), gb = batch_view(g, x);
    // x_mean = x + (f - g^2 s) dt;  x = x_mean + g sqrt(-dt) z
    at::Tensor score = model.score(x, t);
    at::Tensor mean = x + (sde.drift(x, t) - gb * gb * score) * dt;
    return {mean + gb * std::sqrt(-dt) * randn_like_from(x, gen), mean, g * std::sqrt(-dt), score};
  }
};

SCOREGEN_PLUGIN(Predictor, "euler-maruyama", "Euler-Maruyama step of the reverse-time SDE (any step count)",
                EulerMaruyamaPredictor);

}  // namespace scoregen::plugins
