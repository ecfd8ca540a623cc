// Multistep consistency sampling (Song et al. 2023, alg. 1): x0 = f(x_T, sigma_max), then for each noise level tau
// x_tau = x0 + sqrt(tau^2 - sigma_min^2) z and x0 = f(x_tau, tau). One step is one evaluation. A known part
// (inpainting, colorization) is projected onto each x0: the zero-shot editing of Song et al. 2023, alg. 4.
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scoregen/consistency.hpp"
#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

class ConsistencySampler : public Sampler {
 public:
  struct Settings {
    std::int64_t steps = 0;
    std::vector<double> sigmas;
    double rho = 7.0;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::steps, "steps", "evaluations of f (0: one more than the sigmas given, 1 without them)")
        .at_least(0).at_most(1000000).takes_steps();
    d(&Settings::sigmas, "sigmas", "the noise levels tau after the first evaluation, descending (default: the inner "
                                   "ones of steps + 1 levels from sigma_min to the network's sigma_max on Karras's "
                                   "rho-schedule)");
    d(&Settings::rho, "rho", "exponent of that schedule").above(0);
  }
  ConsistencySampler(const Settings& s, const Options& o, const BuildContext& ctx)
      : rho_(s.rho), taus_(s.sigmas), steps_(s.steps > 0 ? s.steps : static_cast<std::int64_t>(s.sigmas.size()) + 1) {
    if (!taus_.empty() && steps_ != static_cast<std::int64_t>(taus_.size()) + 1)
      o.fail("steps", fmt::format("is {}, but sigmas gives {} evaluations (one per level, plus the first): set one of "
                                  "them", steps_, taus_.size() + 1));
    for (std::size_t i = 0; i < taus_.size(); ++i) {
      if (!(taus_[i] > 0)) o.fail("sigmas", fmt::format("level {} is {}: noise levels are positive", i + 1, taus_[i]));
      if (i > 0 && !(taus_[i] < taus_[i - 1])) o.fail("sigmas", "must descend");
    }
  }

  std::int64_t steps(const Sde&) const override { return steps_; }
  bool samples_consistency_functions() const override { return true; }
  std::string describe() const override {
    return fmt::format("consistency ({} step{}{})", steps_, steps_ == 1 ? "" : "s",
                       taus_.empty() ? (steps_ > 1 ? fmt::format(", levels on the rho = {} schedule", rho_) : "")
                                     : fmt::format(", sigmas [{}]", fmt::join(taus_, ", ")));
  }

  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    const double sigma_min = model.network().consistency_sigma_min();
    if (sigma_min <= 0)
      throw Error("[sampler] consistency: the network is a score network, not a consistency function; sample it with "
                  "another sampler, or distill it (`scoregen distill`)");
    Sde& sde = model.sde();
    const double sigma_max = model.network().consistency_sigma_max(), prior = edm::sigma_of_t(sde, sde.T());
    const bool whole = sigma_max >= prior;  // from the SDE's prior, else from sigma_max z
    std::vector<double> levels = taus_;
    if (levels.empty() && steps_ > 1) {
      const std::vector<double> up = consistency::noise_levels(sigma_min, sigma_max, steps_ + 1, rho_);
      levels.assign(up.rbegin() + 1, up.rend() - 1);
    }
    for (double tau : levels)
      if (!(tau > sigma_min && tau < sigma_max))
        throw Error(fmt::format("[sampler] sigmas: {} lies outside the model's noise levels ({:.4g}, {:.4g})", tau,
                                sigma_min, sigma_max));
    at::Tensor x = whole ? edm::start(model, shape, gen)
                         : sigma_max * randn_like_from(at::empty(shape, model.options()), gen);
    // x0 = f(x_T, T) (Song et al. 2023, alg. 1)
    at::Tensor x0 = edm::project(hooks, model, edm::denoise(model, x, whole ? prior : sigma_max), sigma_min);
    progress.update(1);
    for (std::size_t i = 0; i < levels.size(); ++i) {
      throw_if_interrupted();
      const double tau = levels[i];
      // x_tau = x0 + sqrt(tau^2 - sigma_min^2) z; x0 = f(x_tau, tau) (alg. 1)
      x = x0 + std::sqrt(tau * tau - sigma_min * sigma_min) * randn_like_from(x0, gen);
      x0 = edm::project(hooks, model, edm::denoise(model, x, tau), sigma_min);
      progress.update(static_cast<std::int64_t>(i) + 2);
    }
    return x0;
  }

 private:
  double rho_;
  std::vector<double> taus_;
  std::int64_t steps_;
};

SCOREGEN_PLUGIN(Sampler, "consistency",
                "one- and multistep sampling of a consistency model (Song et al. 2023, alg. 1); inpainting projects onto "
                "each step's x0", ConsistencySampler);

}  // namespace scoregen::plugins
