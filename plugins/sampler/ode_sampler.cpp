// Probability-flow ODE sampler (seed 001 eq. 13; sampling.get_ode_sampler): integrate dx/dt = f - 1/2 g^2 s
// from T to eps with adaptive RK45 or fixed-step Euler / Heun / RK4.
#include <fmt/format.h>

#include "scoregen/ode.hpp"
#include "scoregen/error.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

class OdeSampler : public Sampler {
 public:
  OdeSampler(const Options& o, const BuildContext&)
      : method_(o.string("method")), rtol_(o.real("rtol")), atol_(o.real("atol")), steps_(o.integer("steps")),
        denoise_(o.boolean("denoise")) {
    if (!(rtol_ > 0)) o.fail("rtol", "must be > 0");
    if (!(atol_ > 0)) o.fail("atol", "must be > 0");
    if (steps_ < 1) o.fail("steps", "must be >= 1");
  }
  std::int64_t steps(const Sde&) const override { return method_ == "rk45" ? 0 : steps_; }
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
      if (interrupt_requested()) throw Interrupted();
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
                OdeSampler, opt::string("method", "rk45", "solver", {"rk45", "euler", "heun", "rk4"}),
                opt::real("rtol", 1e-5, "RK45 relative tolerance"), opt::real("atol", 1e-5, "RK45 absolute tolerance"),
                opt::integer("steps", 100, "steps of the fixed-step methods"),
                opt::boolean("denoise", true, "one Tweedie denoising step at the end"));

}  // namespace scoregen::plugins
