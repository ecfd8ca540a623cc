// DPM-Solver++(2M) (Lu et al. 2022; k-diffusion sample_dpmpp_2m, sample_dpmpp_2m_sde): multistep
// data-prediction solver in lambda = -log sigma on the Karras schedule, for any SDE through the EDM variables.
// eta = 0 solves the PF-ODE; eta = 1 is SDE-DPM-Solver++(2M), which re-injects noise at every step.
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

class DpmSolverSampler : public Sampler {
 public:
  struct Settings {
    std::int64_t steps = 20;
    double rho = 7.0, eta = 0.0;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::steps, "steps", "steps (= evaluations)").at_least(2).takes_steps();
    d(&Settings::rho, "rho", "Karras schedule exponent").above(0);
    d(&Settings::eta, "eta", "noise re-injected per step: 0 = PF-ODE solver, 1 = SDE-DPM-Solver++(2M)").at_least(0);
  }
  DpmSolverSampler(const Settings& s, const BuildContext&) : n_(s.steps), rho_(s.rho), eta_(s.eta) {}
  std::int64_t steps(const Sde&) const override { return n_; }
  std::string describe() const override {
    return fmt::format("dpm-solver++ (2M{}, {} steps = {} evaluations, rho {})", eta_ > 0 ? fmt::format(" SDE, eta {}", eta_) : "",
                       n_, n_, rho_);
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    edm::Start st = edm::start(model, shape, gen, n_, rho_);
    const std::vector<double>& sig = st.sigmas;
    at::Tensor x = st.x_hat;
    at::Tensor old_denoised;
    for (std::int64_t i = 0; i < n_; ++i) {
      if (interrupt_requested()) throw Interrupted();
      const double s = sig[i], s_next = sig[i + 1];
      at::Tensor denoised = edm::denoise(model, x, s);
      if (s_next == 0) {
        x = denoised;  // the last step lands on the data prediction
      } else {
        const double h = std::log(s) - std::log(s_next);  // lambda = -log sigma
        at::Tensor d = denoised;
        if (old_denoised.defined()) {
          // second-order multistep: D' = (1 + 1/(2r)) D_i - 1/(2r) D_{i-1}, r = h_last / h
          const double r = (std::log(sig[i - 1]) - std::log(s)) / h;
          d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old_denoised;
        }
        // x_{i+1} = (sigma_{i+1} / sigma_i) e^{-eta h} x_i - expm1(-(1 + eta) h) D' + sigma_{i+1} sqrt(-expm1(-2 eta h)) z
        x = (s_next / s) * std::exp(-eta_ * h) * x - std::expm1(-(1 + eta_) * h) * d;
        if (eta_ > 0) x = x + s_next * std::sqrt(-std::expm1(-2 * eta_ * h)) * randn_like_from(x, gen);
      }
      old_denoised = denoised;
      x = edm::project(hooks, model, x, s_next);
      progress.update(i + 1);
    }
    return x;
  }

 private:
  std::int64_t n_;
  double rho_, eta_;
};

SCOREGEN_PLUGIN(Sampler, "dpm-solver++", "DPM-Solver++(2M): multistep second-order PF-ODE solver, few evaluations",
                DpmSolverSampler);

}  // namespace scoregen::plugins
