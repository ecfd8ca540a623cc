// DPM-Solver++ multistep (Lu et al. 2022, alg. 2 for 2M; the third-order update of their code for 3M; k-diffusion's
// sample_dpmpp_2m_sde / 3m_sde for eta > 0): data-prediction exponential integrator in lambda = -log sigma, for any
// SDE through the EDM variables. eta = 0 solves the PF-ODE; eta = 1 is the SDE solver, re-injecting noise each step.
#include <cmath>
#include <deque>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/multistep.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

class DpmSolverSampler : public Sampler {
 public:
  struct Settings : edm::MultistepSettings {
    double eta = 0.0;
  };
  static void declare(Declaration<Settings>& d) {
    edm::declare_multistep(d, 3);
    d(&Settings::eta, "eta", "noise re-injected per step: 0 = PF-ODE solver, 1 = SDE-DPM-Solver++ (on a learned "
                                 "score it can beat the ODE at 10 steps: docs/formulas.md)")
        .at_least(0);
  }
  DpmSolverSampler(const Settings& s, const BuildContext&) : s_(s) {}
  std::int64_t steps(const Sde&) const override { return s_.steps; }
  std::string describe() const override {
    return fmt::format("dpm-solver++ ({}M{}, {} steps = {} evaluations, {} schedule{}{})", s_.order,
                       s_.eta > 0 ? fmt::format(" SDE, eta {}", s_.eta) : "", s_.steps, s_.steps, s_.schedule,
                       s_.schedule == "edm" ? fmt::format(" rho {}", s_.rho) : "",
                       s_.denoise_final ? "" : ", no final denoising");
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    const std::vector<double> sig = edm::multistep_sigmas(model.sde(), s_);
    at::Tensor x = edm::start(model, shape, gen);
    std::deque<at::Tensor> past;  // D at the last levels, newest first
    for (std::int64_t i = 0; i < s_.steps; ++i) {
      throw_if_interrupted();
      const double s = sig[i], s_next = sig[i + 1];
      past.push_front(edm::denoise(model, x, s));
      if (past.size() > 3) past.pop_back();
      const std::int64_t order = edm::step_order(s_, i, s_next);
      if (s_next == 0) {
        x = past[0];  // the last step lands on the data prediction
      } else {
        x = update(x, sig, i, order, past, gen);
      }
      x = edm::project(hooks, model, x, s_next);
      progress.update(i + 1);
    }
    return s_.denoise_final ? x : edm::to_sde_state(model, x, sig.back());
  }

 private:
  // One step from sig[i] to sig[i + 1] of the given order, with D at sig[i], sig[i-1], sig[i-2] in `past`.
  at::Tensor update(const at::Tensor& x, const std::vector<double>& sig, std::int64_t i, std::int64_t order,
                    const std::deque<at::Tensor>& past, at::Generator& gen) const {
    const double s = sig[i], s_next = sig[i + 1];
    const double h = std::log(s) - std::log(s_next), h_eta = h * (1 + s_.eta);  // lambda = -log sigma
    // first order (DDIM): x' = (sigma'/sigma) e^{-eta h} x - expm1(-(1 + eta) h) D_i
    at::Tensor out = (s_next / s) * std::exp(-s_.eta * h) * x - std::expm1(-h_eta) * past[0];
    if (order == 2) {
      // DPM-Solver++(2M): + (-expm1(-h_eta)) / (2 r) (D_i - D_{i-1}), r = h_{i-1} / h
      const double r = (std::log(sig[i - 1]) - std::log(s)) / h;
      out = out - std::expm1(-h_eta) / (2 * r) * (past[0] - past[1]);
    } else if (order == 3) {
      // DPM-Solver++(3M): + phi_2 D1 - phi_3 D2 with divided differences of D over lambda
      const double r0 = (std::log(sig[i - 1]) - std::log(s)) / h, r1 = (std::log(sig[i - 2]) - std::log(sig[i - 1])) / h;
      at::Tensor d1_0 = (past[0] - past[1]) / r0, d1_1 = (past[1] - past[2]) / r1;
      at::Tensor d1 = d1_0 + (d1_0 - d1_1) * (r0 / (r0 + r1)), d2 = (d1_0 - d1_1) / (r0 + r1);
      const double phi_2 = std::expm1(-h_eta) / h_eta + 1, phi_3 = phi_2 / h_eta - 0.5;
      out = out + phi_2 * d1 - phi_3 * d2;
    }
    // SDE variant: + sigma' sqrt(1 - e^{-2 eta h}) z
    if (s_.eta > 0) out = out + s_next * std::sqrt(-std::expm1(-2 * s_.eta * h)) * randn_like_from(out, gen);
    return out;
  }

  Settings s_;
};

SCOREGEN_PLUGIN(Sampler, "dpm-solver++",
                "DPM-Solver++ multistep (2M, 3M; ODE or SDE): few evaluations, selectable time-step schedule",
                DpmSolverSampler);

}  // namespace scoregen::plugins
