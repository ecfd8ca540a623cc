// NCSN's annealed Langevin dynamics over the sigma ladder (seed 002 alg. 1; ncsn anneal_Langevin_dynamics),
// and plain single-sigma Langevin dynamics for contrast (the poster's point: it gets mixture weights wrong).
#include <cmath>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

namespace {
// One Langevin update at noise level t: x <- x + step s(x, t) + sqrt(2 step) z.
at::Tensor langevin_step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, double step, at::Generator& gen) {
  return x + step * model.score(x, t) + std::sqrt(2.0 * step) * randn_like_from(x, gen);
}
}  // namespace

class AnnealedLangevinSampler : public Sampler {
 public:
  AnnealedLangevinSampler(const Options& o, const BuildContext&)
      : step_lr_(o.real("step_lr")), n_each_(o.integer("n_steps_each")), denoise_(o.boolean("denoise")),
        init_(o.string("init")) {
    if (!(step_lr_ > 0)) o.fail("step_lr", "must be > 0");
    if (n_each_ < 1) o.fail("n_steps_each", "must be >= 1");
  }
  std::int64_t steps(const Sde& sde) const override { return sde.N() * n_each_; }
  std::string describe() const override {
    return fmt::format("annealed-langevin (step_lr {}, {} steps per level, {})", step_lr_, n_each_,
                       denoise_ ? "final denoise" : "no final denoise");
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    Sde& sde = model.sde();
    if (sde.family() != SdeFamily::VE)
      throw Error("annealed-langevin needs a VE-family SDE (smld or ve): its levels are the sigma ladder");
    at::Tensor sigmas = sde.discrete_sigmas();  // ascending sigma_L .. sigma_1
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
        if (interrupt_requested()) throw Interrupted();
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
  std::int64_t n_each_;
  bool denoise_;
  std::string init_;
};

class PlainLangevinSampler : public Sampler {
 public:
  PlainLangevinSampler(const Options& o, const BuildContext&)
      : step_(o.real("step_size")), n_(o.integer("n_steps")), range_(o.real("init_range")) {
    if (!(step_ > 0)) o.fail("step_size", "must be > 0");
    if (n_ < 1) o.fail("n_steps", "must be >= 1");
    if (!(range_ > 0)) o.fail("init_range", "must be > 0");
  }
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
      if (interrupt_requested()) throw Interrupted();
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
                AnnealedLangevinSampler, opt::real("step_lr", 2e-5, "epsilon: the step at sigma_L is epsilon, at sigma_i epsilon sigma_i^2/sigma_L^2"),
                opt::integer("n_steps_each", 100, "Langevin steps T per noise level"),
                opt::boolean("denoise", true, "final denoising step x + sigma_L^2 s (NCSNv2)"),
                opt::string("init", "prior", "start: the SDE's prior N(0, sigma_max^2) or uniform U(0, 1) (NCSN images)",
                            {"prior", "uniform"}));
SCOREGEN_PLUGIN(Sampler, "langevin", "plain Langevin dynamics at the smallest noise level (no annealing)",
                PlainLangevinSampler, opt::real("step_size", 1e-3, "Langevin step epsilon"),
                opt::integer("n_steps", 1000, "number of steps"),
                opt::real("init_range", 8.0, "start uniformly in [-init_range, init_range]^D"));

}  // namespace scoregen::plugins
