// Langevin corrector with a step size set by a target signal-to-noise ratio (Song et al. 2021, alg. 4-5).
#include <ATen/ATen.h>

#include "scoregen/pc_steps.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"
#include "snr_settings.hpp"

namespace scoregen::plugins {

namespace {
at::Tensor batch_norm_mean(const at::Tensor& v) { return v.reshape({v.size(0), -1}).norm(2, 1).mean(); }
}  // namespace

class LangevinCorrector : public Corrector {
 public:
  using Settings = SnrSettings;
  static void declare(Declaration<Settings>& d) { SnrSettings::declare(d); }
  LangevinCorrector(const Settings& s, const BuildContext&) : s_(s) {}

  Step step(ScoreModel& model, const at::Tensor& x0, const at::Tensor& t, at::Generator& gen) override {
    at::Tensor x = x0, mean = x0, eps, first_score;
    at::Tensor alpha = model.sde().langevin_alpha(t);
    for (std::int64_t k = 0; k < s_.n_steps; ++k) {
      at::Tensor s = model.score(x, t);
      if (k == 0) first_score = s;
      at::Tensor z = randn_like_from(x, gen);
      // eps = 2 alpha (r |z| / |s|)^2 with batch-mean L2 norms
      eps = 2.0 * alpha * (s_.snr * batch_norm_mean(z) / batch_norm_mean(s)).pow(2);
      at::Tensor e = batch_view(eps, x);
      mean = x + e * s;
      x = mean + at::sqrt(2.0 * e) * z;
    }
    // one Gaussian move (n_steps = 1): x = mean + sqrt(2 eps) z
    return {x, mean, s_.n_steps == 1 ? at::sqrt(2.0 * eps) : at::Tensor(), first_score};
  }

 private:
  Settings s_;
};

SCOREGEN_PLUGIN(Corrector, "langevin", "Langevin MCMC with the step set by a signal-to-noise ratio", LangevinCorrector);

}  // namespace scoregen::plugins
