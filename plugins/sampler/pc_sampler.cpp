// The predictor-corrector sampler (seed 001 alg. 1; sampling.get_pc_sampler): corrector, then predictor, at each t.
#include <fmt/format.h>

#include "pc_steps.hpp"
#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

std::unique_ptr<Predictor> make_euler_maruyama();
std::unique_ptr<Predictor> make_reverse_diffusion();
std::unique_ptr<Predictor> make_ancestral(const Sde& sde);
std::unique_ptr<Corrector> make_langevin(double snr, std::int64_t n);
std::unique_ptr<Corrector> make_ald(double snr, std::int64_t n);

const std::vector<std::string>& predictor_names() {
  static const std::vector<std::string> names = {"euler-maruyama", "reverse-diffusion", "ancestral", "none"};
  return names;
}
const std::vector<std::string>& corrector_names() {
  static const std::vector<std::string> names = {"langevin", "ald", "none"};
  return names;
}

std::unique_ptr<Predictor> make_predictor(const std::string& name, const Sde& sde) {
  if (name == "euler-maruyama") return make_euler_maruyama();
  if (name == "reverse-diffusion") return make_reverse_diffusion();
  if (name == "ancestral") return make_ancestral(sde);
  return nullptr;
}

std::unique_ptr<Corrector> make_corrector(const std::string& name, double snr, std::int64_t n_steps) {
  if (name == "langevin") return make_langevin(snr, n_steps);
  if (name == "ald") return make_ald(snr, n_steps);
  return nullptr;
}

at::Tensor noise_like(const at::Tensor& x, at::Generator& gen) { return randn_like_from(x, gen); }

class PcSampler : public Sampler {
 public:
  PcSampler(const Options& o, const BuildContext&)
      : predictor_(o.string("predictor")), corrector_(o.string("corrector")), snr_(o.real("snr")),
        n_steps_(o.integer("n_steps")), denoise_(o.boolean("denoise")) {
    if (predictor_ == "none" && corrector_ == "none") o.fail("corrector", "predictor and corrector cannot both be none");
    if (!(snr_ > 0)) o.fail("snr", "must be > 0");
    if (n_steps_ < 1) o.fail("n_steps", "must be >= 1");
  }

  // Timesteps follow the SDE's discretisation ([sde] N), as the reverse-diffusion and ancestral steps require.
  std::int64_t steps(const Sde& sde) const override { return sde.N(); }

  std::string describe() const override {
    return fmt::format("pc ({} + {}, snr {}, {} corrector step(s), {})", predictor_, corrector_, snr_, n_steps_,
                       denoise_ ? "denoised" : "noisy last step");
  }

  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    Sde& sde = model.sde();
    auto predictor = make_predictor(predictor_, sde);
    auto corrector = make_corrector(corrector_, snr_, n_steps_);
    const std::int64_t n = steps(sde);
    auto options = model.options();
    at::Tensor x = sde.prior_sample(shape, gen, options);
    at::Tensor mean = x;
    // Timesteps linspace(T, eps, N)
    at::Tensor ts = at::linspace(sde.T(), sde.sample_eps(), n, at::kDouble);
    auto apply = [&](const Step& s, const at::Tensor& t) {
      x = s.x, mean = s.mean;
      if (hooks.project) x = hooks.project(x, t);
    };
    auto step = [&](std::int64_t i) {
      if (interrupt_requested()) throw Interrupted();
      at::Tensor t = at::full({shape[0]}, ts[i].item<double>(), options);
      if (corrector) apply(corrector->step(model, x, t, gen), t);
      if (predictor) apply(predictor->step(model, x, t, gen), t);
    };
    const std::int64_t jump = std::max<std::int64_t>(1, hooks.jump_length);
    for (std::int64_t i = 0; i < n; ++i) {
      step(i);
      progress.update(i + 1);
      const std::int64_t done = i + 1;
      if (hooks.resample > 1 && jump > 0 && done % jump == 0 && done < n) {
        for (std::int64_t r = 1; r < hooks.resample; ++r) {
          // Re-noise from t_done back to t_{done - jump} with the forward kernel: x <- (a_t/a_s) x + sqrt(s_t^2 - (a_t/a_s)^2 s_s^2) z
          at::Tensor ts_now = at::full({shape[0]}, ts[done].item<double>(), options);
          at::Tensor ts_back = at::full({shape[0]}, ts[done - jump].item<double>(), options);
          at::Tensor ratio = sde.mean_coeff(ts_back) / sde.mean_coeff(ts_now);
          at::Tensor var = (sde.marginal_std(ts_back).pow(2) - ratio.pow(2) * sde.marginal_std(ts_now).pow(2)).clamp_min(0);
          x = batch_view(ratio, x) * x + batch_view(at::sqrt(var), x) * noise_like(x, gen);
          if (hooks.project) x = hooks.project(x, ts_back);
          for (std::int64_t k = done - jump; k < done; ++k) step(k);
        }
      }
    }
    return denoise_ ? mean : x;
  }

 private:
  std::string predictor_, corrector_;
  double snr_;
  std::int64_t n_steps_;
  bool denoise_;
};

SCOREGEN_PLUGIN(Sampler, "pc", "predictor-corrector sampler of the reverse-time SDE (any predictor with any corrector)",
                PcSampler, opt::string("predictor", "reverse-diffusion", "predictor step", predictor_names()),
                opt::string("corrector", "langevin", "corrector step", corrector_names()),
                opt::real("snr", 0.16, "corrector signal-to-noise ratio r"),
                opt::integer("n_steps", 1, "corrector steps per noise level"),
                opt::boolean("denoise", true, "return the last step's noise-free mean"));

}  // namespace scoregen::plugins
