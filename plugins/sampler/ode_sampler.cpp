// Probability-flow ODE sampler (Song et al. 2021, eq. 13): integrate dx/dt = f - 1/2 g^2 s
// from T to eps with adaptive RK45 or fixed-step Euler / Heun / RK4.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/ode.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class OdeSampler : public Sampler {
 public:
  struct Settings {
    std::string method = "rk45";
    double rtol = kOdeTolerance, atol = kOdeTolerance;
    std::int64_t steps = 0;
    bool denoise = true;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::method, "method", "solver").one_of({"rk45", "euler", "heun", "rk4"});
    d(&Settings::rtol, "rtol", "RK45 relative tolerance").above(0);
    d(&Settings::atol, "atol", "RK45 absolute tolerance").above(0);
    d(&Settings::steps, "steps", "steps of the fixed-step methods (0: 100); rk45 adapts its own, so it takes none")
        .at_least(0)
        .at_most(1000000)
        .takes_steps();
    d(&Settings::denoise, "denoise", "one Tweedie denoising step at the end");
  }
  OdeSampler(const Settings& s, const Options& o, const BuildContext&)
      : method_(s.method), rtol_(s.rtol), atol_(s.atol), steps_(s.steps > 0 ? s.steps : 100), denoise_(s.denoise) {
    if (method_ == "rk45" && s.steps > 0)
      o.fail("steps", "rk45 chooses its own steps (set rtol and atol); a step count needs method = \"euler\", \"heun\" "
                      "or \"rk4\"");
  }
  std::int64_t steps(const Sde&) const override { return method_ == "rk45" ? 0 : steps_; }
  // An adaptive solve cannot take a projection between its stages (its error control would break).
  bool honours_projection() const override { return false; }
  std::string describe() const override {
    return method_ == "rk45" ? fmt::format("ode (RK45, rtol {}, atol {})", rtol_, atol_)
                             : fmt::format("ode ({}, {} steps)", method_, steps_);
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    Sde& sde = model.sde();
    at::Tensor x = sde.prior_sample(shape, gen, model.options());
    const double eps = sde.sample_eps();
    auto drift = [&](double t, const at::Tensor& y) {
      throw_if_interrupted();
      at::Tensor v = model.ode_drift(y, at::full({shape[0]}, t, y.options()));
      return v;
    };
    std::int64_t done = 0;
    auto on_step = [&](double) { progress.update(++done); };
    OdeResult r = method_ == "rk45"
                      ? solve_rk45(drift, x, sde.T(), eps, rtol_, atol_, on_step)
                      : solve_fixed(method_, drift, x, at::linspace(sde.T(), eps, steps_ + 1, at::kDouble), on_step);
    x = r.y;
    if (hooks.project) x = hooks.project(x, at::full({shape[0]}, eps, x.options()));
    if (denoise_) {
      // One Tweedie step at eps: x0 = (x + s^2 score) / a
      at::Tensor t = at::full({shape[0]}, eps, x.options());
      at::Tensor a = batch_view(sde.mean_coeff(t), x), s = batch_view(sde.marginal_std(t), x);
      x = (x + s * s * model.score(x, t)) / a;
    }
    return x;
  }

 private:
  std::string method_;
  double rtol_, atol_;
  std::int64_t steps_;
  bool denoise_;
};

SCOREGEN_PLUGIN(Sampler, "ode", "probability-flow ODE: adaptive Dormand-Prince RK45 or fixed-step Euler / Heun / RK4",
                OdeSampler);

}  // namespace scoregen::plugins
