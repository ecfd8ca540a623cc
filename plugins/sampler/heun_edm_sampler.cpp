// EDM's Heun sampler (Karras et al. 2022, alg. 2) on any SDE's PF-ODE: a fast-solver schedule, optional churn.
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

class HeunEdmSampler : public Sampler {
 public:
  struct Settings : edm::GridSettings {
    std::int64_t steps = 18;
    double churn = 0.0, s_tmin = 0.0, s_tmax = 1e9, s_noise = 1.0;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::steps, "steps", "noise levels N (2N - 1 evaluations)").at_least(2).at_most(1000000).takes_steps();
    edm::declare_grid(d);
    d(&Settings::churn, "churn", "S_churn (0: deterministic)").at_least(0);
    d(&Settings::s_tmin, "s_tmin", "churn only for sigma >= S_tmin").at_least(0);
    d(&Settings::s_tmax, "s_tmax", "churn only for sigma <= S_tmax").at_least(0);
    d(&Settings::s_noise, "s_noise", "S_noise").at_least(0);
  }
  HeunEdmSampler(const Settings& s, const BuildContext&)
      : n_(s.steps), grid_(s), churn_(s.churn), s_tmin_(s.s_tmin), s_tmax_(s.s_tmax), s_noise_(s.s_noise) {}
  std::int64_t steps(const Sde&) const override { return n_; }
  std::string describe() const override {
    return fmt::format("heun-edm ({} steps = {} evaluations, {} schedule{}, churn {})", n_, 2 * n_ - 1, grid_.schedule,
                       grid_.schedule == "edm" ? fmt::format(" rho {}", grid_.rho) : "", churn_);
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    std::vector<double> sig = edm::sigma_schedule(model.sde(), n_, grid_);
    sig.push_back(0.0);  // the last step is Euler's to sigma = 0
    at::Tensor x = edm::start(model, shape, gen);
    for (std::int64_t i = 0; i < n_; ++i) {
      throw_if_interrupted();
      double s = sig[i], s_next = sig[i + 1];
      // churn: gamma = min(S_churn / N, sqrt(2) - 1) inside [S_tmin, S_tmax]
      const double gamma = (s >= s_tmin_ && s <= s_tmax_) ? std::min(churn_ / static_cast<double>(n_), std::sqrt(2.0) - 1) : 0.0;
      const double s_hat = s * (1 + gamma);
      if (gamma > 0) x = x + std::sqrt(s_hat * s_hat - s * s) * s_noise_ * randn_like_from(x, gen);
      at::Tensor d = (x - edm::denoise(model, x, s_hat)) / s_hat;  // dx/dsigma = (x - D) / sigma
      at::Tensor x_next = x + (s_next - s_hat) * d;
      if (s_next > 0) {
        // Heun's second-order correction, skipped on the last step
        at::Tensor d2 = (x_next - edm::denoise(model, x_next, s_next)) / s_next;
        x_next = x + (s_next - s_hat) * 0.5 * (d + d2);
      }
      x = x_next;
      x = edm::project(hooks, model, x, s_next);
      progress.update(i + 1);
    }
    return x;
  }

 private:
  std::int64_t n_;
  edm::GridSettings grid_;
  double churn_, s_tmin_, s_tmax_, s_noise_;
};

SCOREGEN_PLUGIN(Sampler, "heun-edm", "EDM's Heun sampler on the PF-ODE with the Karras rho-schedule (optional churn)",
                HeunEdmSampler);

}  // namespace scoregen::plugins
