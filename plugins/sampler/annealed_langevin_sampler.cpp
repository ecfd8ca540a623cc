// NCSN's annealed Langevin dynamics over the sigma ladder (Song & Ermon 2019, alg. 1), and plain single-sigma
// Langevin dynamics for contrast (Song & Ermon 2019, sec. 3.2: it gets the weights of separated modes wrong).
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/schedules.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

namespace {
// One Langevin update at noise level t: x <- x + step s(x, t) + sqrt(2 step) z.
at::Tensor langevin_step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, double step, at::Generator& gen) {
  return x + step * model.score(x, t) + std::sqrt(2.0 * step) * randn_like_from(x, gen);
}
}  // namespace

class AnnealedLangevinSampler : public Sampler {
 public:
  struct Settings {
    double step_lr = 2e-5;
    std::int64_t n_steps = 100, steps = 0;
    bool denoise = true;
    std::string init = "prior";
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::step_lr, "step_lr", "epsilon: the step at sigma_L is epsilon, at sigma_i epsilon sigma_i^2/sigma_L^2").above(0);
    d(&Settings::n_steps, "n_steps", "Langevin steps T per noise level (--steps sets it)")
        .at_least(1)
        .at_most(1000000)
        .takes_steps("", "annealed-langevin reads --steps as the Langevin steps per noise level (n_steps)");
    d(&Settings::steps, "steps",
      "noise levels: 0 = the SDE's own ladder; another count is a geometric ladder between its smallest and largest "
      "sigma (continuous VE SDEs only: a discrete ladder fixes the levels its network was trained on)")
        .at_least(0)
        .at_most(1000000);
    d(&Settings::denoise, "denoise", "final denoising step x + sigma_L^2 s (NCSNv2)");
    d(&Settings::init, "init", "start: the SDE's prior N(0, sigma_max^2) or uniform U(0, 1) (NCSN images)")
        .one_of({"prior", "uniform"});
  }
  AnnealedLangevinSampler(const Settings& s, const Options& o, const BuildContext& ctx)
      : step_lr_(s.step_lr), n_each_(s.n_steps), levels_(s.steps), denoise_(s.denoise), init_(s.init) {
    if (ctx.sde && !ctx.sde->discrete_sigmas().defined())
      throw Error("annealed-langevin needs an SDE with a noise ladder (smld or ve): its levels are the sigma ladder");
    if (levels_ > 0 && ctx.sde && ctx.sde->is_discrete() && levels_ != ctx.sde->N())
      o.fail("steps", fmt::format("the discrete ladder has {} levels, fixed by the network's training: set [sde] L "
                                  "instead, or 0 here", ctx.sde->N()));
    if (levels_ == 1) o.fail("steps", "needs at least 2 noise levels (or 0: the SDE's ladder)");
  }
  std::int64_t steps(const Sde& sde) const override { return (levels_ > 0 ? levels_ : sde.N()) * n_each_; }
  std::string describe() const override {
    return fmt::format("annealed-langevin (step_lr {}, {} levels x {} steps, {})", step_lr_,
                       levels_ > 0 ? std::to_string(levels_) : "L", n_each_, denoise_ ? "final denoise" : "no final denoise");
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    Sde& sde = model.sde();
    at::Tensor sigmas = sde.discrete_sigmas();  // ascending sigma_L .. sigma_1
    if (levels_ > 0 && levels_ != sigmas.size(0))
      sigmas = schedule::geometric_ladder(sigmas[0].item<double>(), sigmas[-1].item<double>(), levels_);
    const std::int64_t levels = sigmas.size(0);
    const double sigma_min = sigmas[0].item<double>();
    at::Tensor x = init_ == "uniform" ? rand_from(shape, gen, model.options())  // NCSN: U(0, 1) images
                                      : sde.prior_sample(shape, gen, model.options());
    std::int64_t done = 0;
    for (std::int64_t i = levels - 1; i >= 0; --i) {
      const double sigma = sigmas[i].item<double>();
      at::Tensor t = at::full({shape[0]}, sde.T() * static_cast<double>(i) / static_cast<double>(levels - 1), x.options());
      // step_i = eps sigma_i^2 / sigma_L^2
      const double step = step_lr_ * (sigma / sigma_min) * (sigma / sigma_min);
      for (std::int64_t k = 0; k < n_each_; ++k) {
        throw_if_interrupted();
        x = langevin_step(model, x, t, step, gen);
        if (hooks.project) x = hooks.project(x, t);
        progress.update(++done);
      }
    }
    if (denoise_) {
      // final denoise x <- x + sigma_L^2 s(x, sigma_L) (NCSNv2)
      x = x + sigma_min * sigma_min * model.score(x, at::zeros({shape[0]}, x.options()));
    }
    return x;
  }

 private:
  double step_lr_;
  std::int64_t n_each_, levels_;
  bool denoise_;
  std::string init_;
};

class PlainLangevinSampler : public Sampler {
 public:
  struct Settings {
    double step_size = 1e-3;
    std::int64_t steps = 1000;
    double init_range = 8.0;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::step_size, "step_size", "Langevin step epsilon").above(0);
    d(&Settings::steps, "steps", "number of steps").at_least(1).at_most(1000000).takes_steps();
    d(&Settings::init_range, "init_range", "start uniformly in [-init_range, init_range]^D").above(0);
  }
  PlainLangevinSampler(const Settings& s, const BuildContext&) : step_(s.step_size), n_(s.steps), range_(s.init_range) {}
  std::int64_t steps(const Sde&) const override { return n_; }
  std::string describe() const override {
    return fmt::format("langevin (single sigma, step {}, {} steps, init U(-{}, {}))", step_, n_, range_, range_);
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    // Langevin with the score at the smallest noise level only, started uniformly in [-r, r]^D
    at::Tensor x = (rand_from(shape, gen, model.options()) * 2.0 - 1.0) * range_;
    at::Tensor t = at::full({shape[0]}, model.sde().sample_eps(), x.options());
    for (std::int64_t k = 0; k < n_; ++k) {
      throw_if_interrupted();
      x = langevin_step(model, x, t, step_, gen);
      if (hooks.project) x = hooks.project(x, t);
      progress.update(k + 1);
    }
    return x;
  }

 private:
  double step_;
  std::int64_t n_;
  double range_;
};

SCOREGEN_PLUGIN(Sampler, "annealed-langevin", "NCSN annealed Langevin dynamics over the sigma ladder ([sde] smld or ve)",
                AnnealedLangevinSampler);
SCOREGEN_PLUGIN(Sampler, "langevin", "plain Langevin dynamics at the smallest noise level (no annealing)",
                PlainLangevinSampler);

}  // namespace scoregen::plugins
