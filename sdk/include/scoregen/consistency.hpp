// Consistency models (Song, Dhariwal, Chen & Sutskever 2023, "Consistency Models"; Song & Dhariwal 2023, "Improved
// techniques for training consistency models"): the boundary parameterisation of f(x, sigma), the discretised noise
// levels with iCT's curriculum and proposal, the distances, and the loss that distillation and consistency training
// share (docs/formulas.md "Consistency models"). Noise levels are EDM's: x_hat = x / a(t), sigma = s(t) / a(t).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/options.hpp"

namespace scoregen::consistency {

// sigma(t) = s(t) / a(t) in float64 from t as the network receives it (float32): the same t gives the same sigma in
// the network and in the noise levels, so that f(x, sigma_min) = x holds exactly at t = [sde] sample_eps.
SCOREGEN_API at::Tensor sigma_at(const Sde& sde, const at::Tensor& t);
SCOREGEN_API double sigma_min_of(const Sde& sde);  // sigma at [sde] sample_eps, where sampling ends
SCOREGEN_API double sigma_max_of(const Sde& sde);  // sigma at T, the prior's

// c_skip(sigma) = sigma_d^2 / ((sigma - sigma_min)^2 + sigma_d^2) and
// c_out(sigma) = sigma_d (sigma - sigma_min) / sqrt(sigma_d^2 + sigma^2) (Song et al. 2023, app. C): 1 and 0 at sigma_min.
SCOREGEN_API at::Tensor c_skip(const at::Tensor& sigma, double sigma_min, double sigma_data);
SCOREGEN_API at::Tensor c_out(const at::Tensor& sigma, double sigma_min, double sigma_data);
// f = c_skip x_hat + c_out F (Song et al. 2023, eq. 5) with F = (D - c_skip^EDM x_hat) / c_out^EDM, the EDM-normalised
// output of a denoiser D(x_hat; sigma) (Karras et al. 2022, eq. 7): c_out / c_out^EDM = (sigma - sigma_min) / sigma, so
// any score network is a consistency function's F, and a teacher's network starts its student. sigma: [B], float64.
SCOREGEN_API at::Tensor boundary(const at::Tensor& x_hat, const at::Tensor& denoised, const at::Tensor& sigma,
                                 double sigma_min, double sigma_data);

// The n noise levels sigma_min = sigma_1 < ... < sigma_n = sigma_max on Karras's rho-schedule (Song et al. 2023,
// app. C; Karras et al. 2022, eq. 5).
SCOREGEN_API std::vector<double> noise_levels(double sigma_min, double sigma_max, std::int64_t n, double rho);
// iCT's discretisation curriculum: N(k) = min(s0 2^floor(k / K'), s1) + 1 levels at step k of K, with
// K' = floor(K / (log2 floor(s1 / s0) + 1)) (Song & Dhariwal 2023, sec. 3.4).
SCOREGEN_API std::int64_t curriculum_levels(std::int64_t k, std::int64_t K, std::int64_t s0, std::int64_t s1);
// iCT's lognormal proposal of the interval [sigma_i, sigma_{i+1}]: p(i) proportional to
// erf((log sigma_{i+1} - P_mean) / (sqrt(2) P_std)) - erf((log sigma_i - P_mean) / (sqrt(2) P_std)) (sec. 3.5);
// n - 1 probabilities summing to 1.
SCOREGEN_API std::vector<double> lognormal_interval_weights(const std::vector<double>& sigmas, double p_mean, double p_std);
// ECT's continuous-time schedule (Geng et al. 2024, "Consistency Models Made Easy"): the stage of step k of K, the
// gap d shrinking q-fold per stage of K / stages steps: floor(k stages / K), at most stages - 1.
SCOREGEN_API std::int64_t ect_stage(std::int64_t k, std::int64_t K, std::int64_t stages);
// ECT's mapping of t to the lower level r = t (1 - n(t) / q^(stage + 1)), n(t) = 1 + k sigmoid(-b t), at least 0
// (Geng et al. 2024, the sigmoid mapping function); t: float64 [B].
SCOREGEN_API at::Tensor ect_lower(const at::Tensor& t, std::int64_t stage, double q, double k, double b);
// sigma drawn from the lognormal N(P_mean, P_std^2) of log sigma truncated to [lo, hi], by its inverse CDF from
// uniforms u in [0, 1) (float64 [B]): the continuous counterpart of iCT's lognormal interval proposal.
SCOREGEN_API at::Tensor truncated_lognormal(const at::Tensor& u, double p_mean, double p_std, double lo, double hi);

// The noise levels up to sigma_max with their SDE times: t_1 = [sde] sample_eps, t_n = T when sigma_max = sigma(T),
// else by bisection, as in between.
class SCOREGEN_API Levels {
 public:
  Levels(const Sde& sde, std::int64_t n, double rho, double sigma_max);
  std::int64_t size() const { return static_cast<std::int64_t>(sigmas_.size()); }
  const std::vector<double>& sigmas() const { return sigmas_; }
  // The levels at 0-based indices [B] (int64), in float64 for sigma and `options`' type for t.
  at::Tensor sigma(const at::Tensor& index) const;
  at::Tensor t(const at::Tensor& index, const at::TensorOptions& options) const;

 private:
  std::vector<double> sigmas_, times_;
};

enum class Distance { L2, PseudoHuber };
// d(a, b) per example: the mean squared difference over dimensions (Song et al. 2023's squared l2) or pseudo-Huber
// sqrt(|a - b|^2 + c^2) - c (Song & Dhariwal 2023, sec. 3.3).
SCOREGEN_API at::Tensor distance(const at::Tensor& a, const at::Tensor& b, Distance kind, double c);
// iCT's pseudo-Huber constant c = 0.00054 sqrt(d) for examples of d values (sec. 3.3).
SCOREGEN_API double huber_constant(std::int64_t dims);
// lambda(sigma_n): 1 (Song et al. 2023) or 1 / (sigma_{n+1} - sigma_n) (Song & Dhariwal 2023, sec. 3.1).
enum class Weighting { Uniform, InverseGap };

// One training pair at adjacent levels sigma_n < sigma_{n+1}, in EDM variables.
struct Pair {
  at::Tensor x_next, x_n;                        // x_hat at sigma_{n+1}, and at sigma_n (a teacher's ODE step, or the same noise)
  at::Tensor sigma_next, sigma_n, t_next, t_n;   // [B]; sigma in float64
};
// f(x_hat; sigma) of a consistency network: its data prediction at x = a(t) x_hat.
SCOREGEN_API at::Tensor evaluate(Network& network, const Sde& sde, const at::Tensor& x_hat, const at::Tensor& t,
                                 const at::Tensor& y);
// lambda(sigma_n) d(f_theta(x_{n+1}, sigma_{n+1}), f_theta^-(x_n, sigma_n)) over the batch (Song et al. 2023, eqs. 7 and
// 10), the target without gradients.
SCOREGEN_API at::Tensor loss(Network& student, Network& target, const Sde& sde, const Pair& pair, const at::Tensor& y,
                             Distance kind, double c, Weighting weighting);

// A consistency objective's trainee: a consistency network with its target (and a teacher where `objective` needs
// one); else an error naming what is missing.
SCOREGEN_API void require_trainee(const Trainee& trainee, const char* objective, bool teacher = false);

// What both consistency objectives declare: the noise levels and their curriculum, the proposal of an interval, the
// target network's decay, the distance and the weighting. Each objective's Settings derives from this and sets its
// paper's defaults.
struct Settings {
  std::int64_t levels = 18, max_levels = 1280, ect_stages = 8;
  std::string curriculum = "none", proposal = "uniform", mu_schedule = "constant";
  std::string distance = "l2", weighting = "uniform";
  double rho = 7.0, mu = 0.0, p_mean = -1.1, p_std = 2.0, ect_q = 2.0, ect_k = 8.0, ect_b = 1.0;
  RealOrAuto huber_c{0.0, true};
};
template <class S>
void declare_settings(Declaration<S>& d) {
  d(static_cast<std::int64_t S::*>(&Settings::levels), "levels",
    "noise levels N (with curriculum = \"ict\": s0, the first N - 1)").at_least(2).at_most(100000);
  d(static_cast<std::int64_t S::*>(&Settings::max_levels), "max_levels", "curriculum = \"ict\": s1, the last N - 1")
      .at_least(2).at_most(100000);
  d(static_cast<std::string S::*>(&Settings::curriculum), "curriculum",
    "none: N = levels throughout; ict: N doubles from levels + 1 to max_levels + 1 over [train] steps (Song & Dhariwal "
    "2023, sec. 3.4); ect: continuous levels, sigma lognormal and the gap sigma n(sigma) / q^(stage + 1) shrinking over "
    "ect_stages stages (Geng et al. 2024)").one_of({"none", "ict", "ect"});
  d(static_cast<std::int64_t S::*>(&Settings::ect_stages), "ect_stages",
    "curriculum = \"ect\": stages over [train] steps, the gap divided by ect_q at each").at_least(1).at_most(64);
  d(static_cast<double S::*>(&Settings::ect_q), "ect_q", "curriculum = \"ect\": q, the gap's shrink per stage").above(1);
  d(static_cast<double S::*>(&Settings::ect_k), "ect_k", "curriculum = \"ect\": k of n(sigma) = 1 + k sigmoid(-b sigma)")
      .at_least(0);
  d(static_cast<double S::*>(&Settings::ect_b), "ect_b", "curriculum = \"ect\": b of n(sigma) = 1 + k sigmoid(-b sigma)")
      .at_least(0);
  d(static_cast<double S::*>(&Settings::rho), "rho", "exponent of the levels' Karras schedule").above(0);
  d(static_cast<std::string S::*>(&Settings::proposal), "proposal",
    "how the interval [sigma_n, sigma_n+1] is drawn: uniform, or lognormal in sigma (iCT, sec. 3.5)")
      .one_of({"uniform", "lognormal"});
  d(static_cast<double S::*>(&Settings::p_mean), "p_mean", "lognormal proposal: mean of log sigma");
  d(static_cast<double S::*>(&Settings::p_std), "p_std", "lognormal proposal: std of log sigma").above(0);
  d(static_cast<double S::*>(&Settings::mu), "mu", "decay of the target network's EMA (0: the student's own weights, "
                                                   "iCT's choice)").at_least(0).below(1);
  d(static_cast<std::string S::*>(&Settings::mu_schedule), "mu_schedule",
    "constant: mu throughout; ct: mu(k) = exp(s0 log mu / N(k)) (Song et al. 2023, app. C)").one_of({"constant", "ct"});
  d(static_cast<std::string S::*>(&Settings::distance), "distance",
    "d(x, y): l2 (mean squared difference) or pseudo-huber (iCT, sec. 3.3); LPIPS needs weights that are not shipped")
      .one_of({"l2", "pseudo-huber"});
  d(static_cast<RealOrAuto S::*>(&Settings::huber_c), "huber_c", "pseudo-Huber c; auto: 0.00054 sqrt(d) (iCT)").above(0);
  d(static_cast<std::string S::*>(&Settings::weighting), "weighting",
    "lambda(sigma_n): uniform (1) or inverse-gap (1 / (sigma_n+1 - sigma_n), iCT, sec. 3.1)")
      .one_of({"uniform", "inverse-gap"});
}

// The settings at work: the levels at step k (cached per N), the proposal, the target's decay and the loss.
class SCOREGEN_API Schedule {
 public:
  // defaults: the objective's own Settings, against which a key that cannot take effect is told apart
  Schedule(const Settings& settings, const Options& options, const Settings& defaults);
  // N at step k of K.
  std::int64_t levels_at(std::int64_t step, std::int64_t steps) const;
  const Levels& levels(const Sde& sde, std::int64_t step, std::int64_t steps, double sigma_max);
  // Indices n [B] of the lower level of each example's interval, drawn from `rng`.
  at::Tensor draw_intervals(const Levels& levels, BatchRandom& rng) const;
  // A training pair for data x0 at the trainee's step, on its network's levels: an interval n, then x_{n+1} = x0 + sigma_{n+1} z and x_n = x0 + sigma_n z with
  // the same z (Song et al. 2023, alg. 3); distillation replaces x_n by its teacher's ODE step (alg. 2). With ECT's
  // curriculum the levels are continuous: sigma_{n+1} from the truncated lognormal, sigma_n its ECT lower level.
  Pair draw_pair(const Sde& sde, const at::Tensor& x0, const Trainee& trainee, BatchRandom& rng);
  // mu(k): constant, or CT's exp(s0 log mu0 / N(k)).
  double target_decay(std::int64_t step, std::int64_t steps) const;
  // The pair's loss with this schedule's distance and weighting.
  at::Tensor loss(Network& student, Network& target, const Sde& sde, const Pair& pair, const at::Tensor& y) const;
  std::string describe() const;

 private:
  // ECT's pair of levels for each example: sigma_{n+1} and its lower level, with their SDE times.
  void draw_continuous(const Sde& sde, const Trainee& trainee, BatchRandom& rng, const at::Tensor& x0, Pair& p) const;

  Settings s_;
  std::map<std::pair<std::int64_t, double>, Levels> cache_;
};

}  // namespace scoregen::consistency
