// The predictor-corrector sampler (Song et al. 2021, alg. 1): at each t, corrector then predictor, each a plugin;
// optional RePaint resampling (Lugmayr et al. 2022): every jump_length steps, re-noise and redo them.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/pc_steps.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class PcSampler : public Sampler {
 public:
  struct Settings {
    std::string predictor = "reverse-diffusion", corrector = "langevin";
    std::int64_t steps = 0;
    bool denoise = true;
    std::int64_t jump_length = 1, resample = 1;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::predictor, "predictor", "predictor step").names_plugin(PluginKind::Predictor, true);
    d(&Settings::corrector, "corrector", "corrector step").names_plugin(PluginKind::Corrector, true);
    d(&Settings::steps, "steps", "time steps, linspace(T, eps, steps); 0: the SDE's N (which reverse-diffusion and "
                                 "ancestral steps require; --steps sets [sde] N)")
        .at_least(0)
        .at_most(1000000)
        .takes_steps("sde.N");
    d(&Settings::denoise, "denoise", "return the last step's noise-free mean");
    d(&Settings::jump_length, "jump_length", "RePaint: every K steps, re-noise back K steps and redo them (1: off)").at_least(1);
    d(&Settings::resample, "resample", "RePaint: times each jump is done (1: no resampling)").at_least(1);
  }

  PcSampler(const Settings& s, const Options& o, const BuildContext& ctx)
      : s_(s), predictor_(ctx.build<Predictor>(PluginKind::Predictor, o, "predictor")),
        corrector_(ctx.build<Corrector>(PluginKind::Corrector, o, "corrector")) {
    if (!predictor_ && !corrector_) o.fail("corrector", "predictor and corrector cannot both be none");
    if (s_.steps > 0 && predictor_ && predictor_->uses_sde_grid() && ctx.sde && s_.steps != ctx.sde->N())
      o.fail("steps", fmt::format("the {} predictor follows the SDE's own N = {} steps: set [sde] N = {} instead",
                                  s_.predictor, ctx.sde->N(), s_.steps));
    if (s_.resample > 1 && s_.jump_length < 1) o.fail("jump_length", "must be >= 1 with resample > 1");
  }

  std::int64_t steps(const Sde& sde) const override { return s_.steps > 0 ? s_.steps : sde.N(); }
  // Every update is one Gaussian move; RePaint's re-noising goes back in time, which SMC's weights do not follow.
  bool honours_gaussian_draws() const override { return s_.resample == 1; }

  std::string describe() const override {
    return fmt::format("pc ({} + {}, {} steps{}, {})", s_.predictor, s_.corrector, s_.steps > 0 ? std::to_string(s_.steps) : "[sde] N",
                       s_.resample > 1 ? fmt::format(", RePaint jump {} x{}", s_.jump_length, s_.resample) : std::string(),
                       s_.denoise ? "denoised" : "noisy last step");
  }

  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    Sde& sde = model.sde();
    const std::int64_t n = steps(sde);
    const double dt = -sde.T() / static_cast<double>(n);
    auto options = model.options();
    at::Tensor x = sde.prior_sample(shape, gen, options);
    at::Tensor mean = x;
    // Timesteps linspace(T, eps, n)
    at::Tensor ts = at::linspace(sde.T(), sde.sample_eps(), n, at::kDouble);
    // x moves from t to t_next (undefined: the final state); an SMC conditional sampler draws each move itself
    auto apply = [&](const Step& s, const at::Tensor& t, const at::Tensor& t_next, const std::string& by) {
      if (hooks.gaussian_draw) {
        if (!s.std.defined() || !s.score.defined())
          throw Error(fmt::format("[sampler] {}: its update is not one Gaussian move, which sequential Monte Carlo "
                                  "weighs (a corrector needs n_steps = 1)", by));
        x = mean = hooks.gaussian_draw(x, s.score, s.mean, s.std, t_next);
      } else {
        x = s.x, mean = s.mean;
      }
      if (hooks.project) x = hooks.project(x, t);
    };
    auto step = [&](std::int64_t i) {
      throw_if_interrupted();
      at::Tensor t = at::full({shape[0]}, ts[i].item<double>(), options);
      const bool last = i + 1 == n;
      if (corrector_)
        apply(corrector_->step(model, x, t, gen), t, last && !predictor_ ? at::Tensor() : t, "corrector " + s_.corrector);
      if (predictor_) {
        at::Tensor t_next = last ? at::Tensor() : at::full({shape[0]}, ts[i + 1].item<double>(), options);
        apply(predictor_->step(model, x, t, dt, gen), t, t_next, "predictor " + s_.predictor);
      }
    };
    const std::int64_t jump = s_.jump_length;
    for (std::int64_t i = 0; i < n; ++i) {
      step(i);
      progress.update(i + 1);
      const std::int64_t done = i + 1;
      if (s_.resample > 1 && done % jump == 0 && done < n) {
        for (std::int64_t r = 1; r < s_.resample; ++r) {
          // Re-noise from t_done back to t_{done - jump} with the forward kernel:
          // x <- (a_b / a_d) x + sqrt(s_b^2 - (a_b / a_d)^2 s_d^2) z (Lugmayr et al. 2022, alg. 1)
          at::Tensor t_now = at::full({shape[0]}, ts[done].item<double>(), options);
          at::Tensor t_back = at::full({shape[0]}, ts[done - jump].item<double>(), options);
          at::Tensor ratio = sde.mean_coeff(t_back) / sde.mean_coeff(t_now);
          at::Tensor var = (sde.marginal_std(t_back).pow(2) - ratio.pow(2) * sde.marginal_std(t_now).pow(2)).clamp_min(0);
          x = batch_view(ratio, x) * x + batch_view(at::sqrt(var), x) * randn_like_from(x, gen);
          if (hooks.project) x = hooks.project(x, t_back);
          for (std::int64_t k = done - jump; k < done; ++k) step(k);
        }
      }
    }
    return s_.denoise ? mean : x;
  }

 private:
  Settings s_;
  std::shared_ptr<Predictor> predictor_;
  std::shared_ptr<Corrector> corrector_;
};

SCOREGEN_PLUGIN(Sampler, "pc", "predictor-corrector sampler of the reverse-time SDE (any predictor with any corrector)",
                PcSampler);

}  // namespace scoregen::plugins
