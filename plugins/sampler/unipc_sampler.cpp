// UniPC (Zhao et al. 2023): the multistep UniP predictor (alg. 1-2, data prediction) and the UniC corrector, which
// reuses the evaluation at the new point that the next step needs anyway, so it raises the order at no extra
// evaluation. B(h) = h (bh1) or e^h - 1 (bh2); in the EDM variables (alpha = 1, lambda = -log sigma), any SDE.
#include <cmath>
#include <deque>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/multistep.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::plugins {

class UniPcSampler : public Sampler {
 public:
  struct Settings : edm::MultistepSettings {
    Settings() {  // UniPC-3 on the quadratic schedule, stopping at sigma(eps): the best of bench/fast_sampler_bench
      order = 3;
      schedule = "quadratic";
      denoise_final = false;
    }
    std::string variant = "bh2";
    bool corrector = true;
  };
  static void declare(Declaration<Settings>& d) {
    edm::declare_multistep(d, 3);
    d(&Settings::variant, "variant", "B(h): bh1 = h, bh2 = e^h - 1").one_of({"bh1", "bh2"});
    d(&Settings::corrector, "corrector", "apply UniC after each step (no extra evaluations)");
  }
  UniPcSampler(const Settings& s, const BuildContext&) : s_(s) {}
  std::int64_t steps(const Sde&) const override { return s_.steps; }
  std::string describe() const override {
    return fmt::format("unipc ({}{}-{}, {} steps = {} evaluations, {} schedule{}{})", s_.corrector ? "UniPC" : "UniP",
                       s_.order, s_.variant, s_.steps, s_.steps, s_.schedule,
                       s_.schedule == "edm" ? fmt::format(" rho {}", s_.rho) : "",
                       s_.denoise_final ? "" : ", no final denoising");
  }
  at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen, Progress& progress,
                    const SampleHooks& hooks) override {
    const std::vector<double> sig = edm::multistep_sigmas(model.sde(), s_);
    std::vector<double> lambda;
    for (double s : sig) lambda.push_back(s > 0 ? -std::log(s) : INFINITY);
    at::Tensor x = edm::start(model, shape, gen), x_prev;
    std::deque<at::Tensor> past;  // D at the levels visited, newest first
    std::int64_t last_order = 0;
    for (std::int64_t i = 0; i < s_.steps; ++i) {
      throw_if_interrupted();
      at::Tensor d = edm::denoise(model, x, sig[i]);
      if (s_.corrector && i > 0) {
        // UniC: corrects x at sig[i] with D there, using the order of the predictor that reached it
        x = unic(x_prev, d, lambda, i - 1, last_order, past);
        x = edm::project(hooks, model, x, sig[i]);
      }
      past.push_front(d);
      if (past.size() > 3) past.pop_back();
      const std::int64_t order = edm::step_order(s_, i, sig[i + 1]);
      x_prev = x;
      x = sig[i + 1] == 0 ? past[0] : unip(x, lambda, i, order, past);  // a step to sigma = 0 lands on D
      x = edm::project(hooks, model, x, sig[i + 1]);
      last_order = order;
      progress.update(i + 1);
    }
    return s_.denoise_final ? x : edm::to_sde_state(model, x, sig.back());
  }

 private:
  // The linear system of a step from lambda[i] of order p: R[j][k] = r_k^j (r_k = (lambda[i-k-1] - lambda[i]) / h
  // for the p - 1 older levels, then 1) and b_j = h phi_{j+1}(h) j! / B(h) (Zhao et al. 2023, alg. 1 and app. C).
  struct System {
    double h, h_phi_1, b_h;
    std::vector<double> r;
    at::Tensor R, b;
  };
  System system(const std::vector<double>& lambda, std::int64_t i, std::int64_t p) const {
    System q;
    q.h = lambda[i + 1] - lambda[i];
    const double hh = -q.h;
    q.h_phi_1 = std::expm1(hh);
    q.b_h = s_.variant == "bh1" ? hh : std::expm1(hh);
    for (std::int64_t k = 1; k < p; ++k) q.r.push_back((lambda[i - k] - lambda[i]) / q.h);
    q.r.push_back(1.0);
    std::vector<double> R, b;
    double h_phi_k = q.h_phi_1 / hh - 1, factorial = 1;  // phi_2 h: (e^{-h} - 1) / (-h) - 1
    for (std::int64_t j = 1; j <= p; ++j) {
      for (double r : q.r) R.push_back(std::pow(r, static_cast<double>(j - 1)));
      b.push_back(h_phi_k * factorial / q.b_h);
      factorial *= static_cast<double>(j + 1);
      h_phi_k = h_phi_k / hh - 1 / factorial;
    }
    auto f64 = at::TensorOptions().dtype(at::kDouble);
    q.R = at::tensor(R, f64).reshape({p, p});
    q.b = at::tensor(b, f64);
    return q;
  }
  // sum_k rho_k (D_{i-k-1} - D_i) / r_k over the older levels.
  static at::Tensor history_term(const System& q, const at::Tensor& rho, const std::deque<at::Tensor>& past,
                                 std::int64_t older, std::int64_t offset) {
    at::Tensor sum;
    for (std::int64_t k = 0; k < older; ++k) {
      at::Tensor term = rho[k].item<double>() * (past[k + 1 + offset] - past[offset]) / q.r[k];
      sum = sum.defined() ? sum + term : term;
    }
    return sum;
  }
  // UniP-p: x' = (sigma'/sigma) x - h_phi_1 D_i - B(h) sum_k rho_k D1_k (Zhao et al. 2023, eq. 8 in data prediction).
  at::Tensor unip(const at::Tensor& x, const std::vector<double>& lambda, std::int64_t i, std::int64_t p,
                  const std::deque<at::Tensor>& past) const {
    const System q = system(lambda, i, p);
    at::Tensor out = std::exp(-q.h) * x - q.h_phi_1 * past[0];
    if (p == 1) return out;
    // rho_p = 1/2 for p = 2, else solves the first p - 1 rows and columns
    at::Tensor rho = p == 2 ? at::full({1}, 0.5, at::kDouble)
                            : at::linalg_solve(q.R.slice(0, 0, p - 1).slice(1, 0, p - 1), q.b.slice(0, 0, p - 1));
    return out - q.b_h * history_term(q, rho, past, p - 1, 0);
  }
  // UniC-p: x_c = (sigma'/sigma) x_i - h_phi_1 D_i - B(h) (sum_k rho_k D1_k + rho_p (D' - D_i)), D' = D at the new point.
  at::Tensor unic(const at::Tensor& x_i, const at::Tensor& d_new, const std::vector<double>& lambda, std::int64_t i,
                  std::int64_t p, const std::deque<at::Tensor>& past) const {
    const System q = system(lambda, i, p);
    at::Tensor rho = p == 1 ? at::full({1}, 0.5, at::kDouble) : at::linalg_solve(q.R, q.b);
    at::Tensor correction = rho[p - 1].item<double>() * (d_new - past[0]);
    if (p > 1) correction = correction + history_term(q, rho, past, p - 1, 0);
    return std::exp(-q.h) * x_i - q.h_phi_1 * past[0] - q.b_h * correction;
  }

  Settings s_;
};

SCOREGEN_PLUGIN(Sampler, "unipc",
                "UniPC: multistep predictor with the UniC corrector at no extra evaluation, selectable time-step schedule",
                UniPcSampler);

}  // namespace scoregen::plugins
