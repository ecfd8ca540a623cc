// Annealed Langevin dynamics as a corrector: the step eps = 2 alpha (r s(t))^2 scales with the noise level
// (Song et al. 2021, app. G; NCSN's step rule, Song & Ermon 2019, alg. 1).
#include <ATen/ATen.h>

#include "scoregen/pc_steps.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"
#include "snr_settings.hpp"

namespace scoregen::plugins {

class AnnealedLangevinCorrector : public Corrector {
 public:
  using Settings = SnrSettings;
  static void declare(Declaration<Settings>& d) { SnrSettings::declare(d); }
  AnnealedLangevinCorrector(const Settings& s, const BuildContext&) : s_(s) {}

  Step step(ScoreModel& model, const at::Tensor& x0, const at::Tensor& t, at::Generator& gen) override {
    at::Tensor x = x0, mean = x0;
    at::Tensor alpha = model.sde().langevin_alpha(t);
    at::Tensor std = model.sde().marginal_std(t);
    // eps = 2 alpha (r std(t))^2
    at::Tensor eps = 2.0 * alpha * (s_.snr * std).pow(2), e = batch_view(eps, x), first_score;
    for (std::int64_t k = 0; k < s_.n_steps; ++k) {
      at::Tensor s = model.score(x, t);
      if (k == 0) first_score = s;
      mean = x + e * s;
      x = mean + at::sqrt(2.0 * e) * randn_like_from(x, gen);
    }
    // one Gaussian move (n_steps = 1): x = mean + sqrt(2 eps) z
    return {x, mean, s_.n_steps == 1 ? at::sqrt(2.0 * eps) : at::Tensor(), first_score};
  }

 private:
  Settings s_;
};

SCOREGEN_PLUGIN(Corrector, "ald", "annealed Langevin dynamics: step 2 alpha (snr sigma(t))^2", AnnealedLangevinCorrector);

}  // namespace scoregen::plugins
