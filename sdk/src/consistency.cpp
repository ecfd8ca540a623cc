// Consistency models: boundary parameterisation, noise levels, curriculum, distances and the shared loss.
#include "scoregen/consistency.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "scoregen/batch_random.hpp"
#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::consistency {

at::Tensor sigma_at(const Sde& sde, const at::Tensor& t) {
  at::Tensor td = t.to(at::kFloat).to(at::kDouble);
  // sigma(t) = s(t) / a(t) (Karras et al. 2022, eq. 12's scaling)
  return sde.marginal_std(td) / sde.mean_coeff(td);
}

double sigma_min_of(const Sde& sde) {
  return sigma_at(sde, at::full({1}, sde.sample_eps(), at::kDouble)).item<double>();
}

double sigma_max_of(const Sde& sde) { return sigma_at(sde, at::full({1}, sde.T(), at::kDouble)).item<double>(); }

at::Tensor c_skip(const at::Tensor& sigma, double sigma_min, double sigma_data) {
  // c_skip = sigma_d^2 / ((sigma - sigma_min)^2 + sigma_d^2) (Song et al. 2023, app. C)
  return sigma_data * sigma_data / ((sigma - sigma_min).pow(2) + sigma_data * sigma_data);
}

at::Tensor c_out(const at::Tensor& sigma, double sigma_min, double sigma_data) {
  // c_out = sigma_d (sigma - sigma_min) / sqrt(sigma_d^2 + sigma^2) (Song et al. 2023, app. C)
  return sigma_data * (sigma - sigma_min) / (sigma.pow(2) + sigma_data * sigma_data).sqrt();
}

at::Tensor boundary(const at::Tensor& x_hat, const at::Tensor& denoised, const at::Tensor& sigma, double sigma_min,
                    double sigma_data) {
  at::Tensor s = sigma.clamp_min(sigma_min);  // f is the identity at and below sigma_min
  // EDM's c_skip = sigma_d^2 / (sigma^2 + sigma_d^2) (Karras et al. 2022, table 1)
  at::Tensor skip_edm = sigma_data * sigma_data / (s.pow(2) + sigma_data * sigma_data);
  at::Tensor skip = batch_view(c_skip(s, sigma_min, sigma_data).to(x_hat.scalar_type()), x_hat);
  at::Tensor ratio = batch_view(((s - sigma_min) / s).to(x_hat.scalar_type()), x_hat);
  // f = c_skip x_hat + (c_out / c_out^EDM) (D - c_skip^EDM x_hat) (Song et al. 2023, eq. 5 with EDM's F)
  return skip * x_hat + ratio * (denoised - batch_view(skip_edm.to(x_hat.scalar_type()), x_hat) * x_hat);
}

std::vector<double> noise_levels(double sigma_min, double sigma_max, std::int64_t n, double rho) {
  if (n < 2) throw Error("consistency models need at least 2 noise levels");
  // Karras's rho-schedule, descending and ending in 0 (Song et al. 2023, app. C): ascending here, without the 0
  std::vector<double> s = edm::karras_sigmas(sigma_min, sigma_max, n, rho);
  s.pop_back();
  std::reverse(s.begin(), s.end());
  s.front() = sigma_min, s.back() = sigma_max;
  return s;
}

std::int64_t curriculum_levels(std::int64_t k, std::int64_t K, std::int64_t s0, std::int64_t s1) {
  // K' = floor(K / (log2 floor(s1 / s0) + 1)); N(k) = min(s0 2^floor(k / K'), s1) + 1 (Song & Dhariwal 2023, sec. 3.4)
  const double doublings = std::floor(std::log2(std::floor(static_cast<double>(s1) / static_cast<double>(s0))));
  const std::int64_t k_prime = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(K / (doublings + 1.0))));
  const std::int64_t e = std::min<std::int64_t>(k / k_prime, 62);
  const double n = std::min(static_cast<double>(s0) * std::pow(2.0, static_cast<double>(e)), static_cast<double>(s1));
  return static_cast<std::int64_t>(n) + 1;
}

std::vector<double> lognormal_interval_weights(const std::vector<double>& sigmas, double p_mean, double p_std) {
  std::vector<double> w(sigmas.size() - 1);
  double total = 0;
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    // p(sigma_i) ~ erf((log sigma_{i+1} - P_mean) / (sqrt2 P_std)) - erf((log sigma_i - P_mean) / (sqrt2 P_std)) (sec. 3.5)
    w[i] = std::erf((std::log(sigmas[i + 1]) - p_mean) / (std::sqrt(2.0) * p_std)) -
           std::erf((std::log(sigmas[i]) - p_mean) / (std::sqrt(2.0) * p_std));
    total += w[i];
  }
  if (!(total > 0)) throw Error("the lognormal proposal puts no mass on the noise levels (check P_mean and P_std)");
  for (double& v : w) v /= total;
  return w;
}

std::int64_t ect_stage(std::int64_t k, std::int64_t K, std::int64_t stages) {
  // stage = floor(k stages / K): ECT's halving of the gap every K / stages steps (Geng et al. 2024)
  const std::int64_t stage = K > 0 ? static_cast<std::int64_t>(static_cast<double>(k) * stages / static_cast<double>(K)) : 0;
  return std::min(std::max<std::int64_t>(stage, 0), stages - 1);
}

at::Tensor ect_lower(const at::Tensor& t, std::int64_t stage, double q, double k, double b) {
  // r = t (1 - n(t) / q^(stage + 1)), n(t) = 1 + k sigmoid(-b t), clamped at 0 (Geng et al. 2024, sigmoid mapping)
  at::Tensor n = 1.0 + k * at::sigmoid(-b * t);
  return (t * (1.0 - n / std::pow(q, static_cast<double>(stage + 1)))).clamp_min(0.0);
}

at::Tensor truncated_lognormal(const at::Tensor& u, double p_mean, double p_std, double lo, double hi) {
  // Phi((log sigma - P_mean) / P_std) at the ends, then log sigma = P_mean + P_std Phi^-1(Phi_lo + u (Phi_hi - Phi_lo))
  auto cdf = [&](double s) { return 0.5 * (1.0 + std::erf((std::log(s) - p_mean) / (std::sqrt(2.0) * p_std))); };
  const double a = cdf(lo), c = cdf(hi);
  if (!(c > a)) throw Error("the lognormal proposal puts no mass between sigma_min and sigma_max (check P_mean and P_std)");
  at::Tensor p = (a + u.to(at::kDouble) * (c - a)).clamp(a, c);
  // Phi^-1(p) = sqrt(2) erfinv(2 p - 1)
  return (p_mean + p_std * std::sqrt(2.0) * at::erfinv(2.0 * p - 1.0)).exp().clamp(lo, hi);
}

Levels::Levels(const Sde& sde, std::int64_t n, double rho, double sigma_max) {
  const double prior = sigma_max_of(sde);
  const bool whole = sigma_max >= prior;
  sigmas_ = noise_levels(sigma_min_of(sde), whole ? prior : sigma_max, n, rho);
  times_.resize(sigmas_.size());
  times_.front() = sde.sample_eps(), times_.back() = whole ? sde.T() : edm::t_of_sigma(sde, sigma_max);
  for (std::size_t i = 1; i + 1 < sigmas_.size(); ++i) times_[i] = edm::t_of_sigma(sde, sigmas_[i]);
}

at::Tensor Levels::sigma(const at::Tensor& index) const {
  at::Tensor all = at::tensor(sigmas_, at::TensorOptions().dtype(at::kDouble));
  return all.index_select(0, index.cpu()).to(index.device());
}

at::Tensor Levels::t(const at::Tensor& index, const at::TensorOptions& options) const {
  at::Tensor all = at::tensor(times_, at::TensorOptions().dtype(at::kDouble));
  return all.index_select(0, index.cpu()).to(options);
}

at::Tensor distance(const at::Tensor& a, const at::Tensor& b, Distance kind, double c) {
  at::Tensor sq = (a - b).pow(2).reshape({a.size(0), -1});
  if (kind == Distance::L2) return sq.mean(1);
  // sqrt(|a - b|^2 + c^2) - c (Song & Dhariwal 2023, sec. 3.3)
  return (sq.sum(1) + c * c).sqrt() - c;
}

double huber_constant(std::int64_t dims) { return 0.00054 * std::sqrt(static_cast<double>(dims)); }

at::Tensor evaluate(Network& network, const Sde& sde, const at::Tensor& x_hat, const at::Tensor& t, const at::Tensor& y) {
  // x = a(t) x_hat; the consistency network's output is f, a data prediction
  return network.forward(batch_view(sde.mean_coeff(t), x_hat) * x_hat, t, y);
}

at::Tensor loss(Network& student, Network& target, const Sde& sde, const Pair& pair, const at::Tensor& y, Distance kind,
                double c, Weighting weighting) {
  at::Tensor f_target;
  {
    at::NoGradGuard no_grad;
    f_target = evaluate(target, sde, pair.x_n, pair.t_n, y);
  }
  at::Tensor f = evaluate(student, sde, pair.x_next, pair.t_next, y);
  at::Tensor d = distance(f.to(at::kFloat), f_target.to(at::kFloat), kind, c);
  if (weighting == Weighting::InverseGap)
    // lambda(sigma_n) = 1 / (sigma_{n+1} - sigma_n) (Song & Dhariwal 2023, sec. 3.1)
    d = d * (1.0 / (pair.sigma_next - pair.sigma_n)).to(d.scalar_type());
  return d.mean();
}

void require_trainee(const Trainee& trainee, const char* objective, bool teacher) {
  if (!trainee.network || trainee.network->consistency_sigma_min() <= 0 ||
      !(trainee.network->consistency_sigma_max() > trainee.network->consistency_sigma_min()))
    throw Error(fmt::format("[objective] {} trains a consistency function: set [network] plugin = \"consistency\" "
                            "around the score network (docs/formulas.md \"Consistency models\")", objective));
  if (!trainee.target) throw Error(fmt::format("[objective] {}: this host gave no target network", objective));
  if (teacher && !trainee.teacher)
    throw Error(fmt::format("[objective] {} learns from a teacher: run `scoregen distill PIPELINE --teacher CHECKPOINT`",
                            objective));
}

Schedule::Schedule(const Settings& settings, const Options& options, const Settings& defaults) : s_(settings) {
  // A key that cannot take effect is refused when it differs from the objective's default (a stored pipeline holds
  // every default explicitly, so its presence says nothing).
  if (s_.curriculum == "ect") {
    for (auto [key, same] : {std::pair{"levels", s_.levels == defaults.levels},
                             std::pair{"max_levels", s_.max_levels == defaults.max_levels}, std::pair{"rho", s_.rho == defaults.rho}})
      if (!same) options.fail(key, "sets discrete levels: curriculum = \"ect\" draws continuous ones");
    if (s_.proposal != "lognormal")
      options.fail("proposal", "curriculum = \"ect\" draws sigma from the lognormal proposal: set proposal = \"lognormal\"");
    if (s_.mu_schedule == "ct") options.fail("mu_schedule", "ct follows the number of levels, which ect does not have");
    // at q^stages past 1e5 the last stages' gap nears float32's resolution of the network's t
    const double shrink = std::pow(s_.ect_q, static_cast<double>(s_.ect_stages));
    if (shrink > 1e5)
      options.fail("ect_stages", fmt::format("ect_q^ect_stages = {:.3g}: the last gap, sigma / q^stages, would vanish "
                                             "in float32 (keep it at most 1e5)", shrink));
  } else {
    for (auto [key, same] : {std::pair{"ect_stages", s_.ect_stages == defaults.ect_stages}, std::pair{"ect_q", s_.ect_q == defaults.ect_q},
                             std::pair{"ect_k", s_.ect_k == defaults.ect_k}, std::pair{"ect_b", s_.ect_b == defaults.ect_b}})
      if (!same) options.fail(key, "is used by curriculum = \"ect\" only");
  }
  if (s_.curriculum == "ict" && s_.max_levels < s_.levels)
    options.fail("max_levels", fmt::format("must be at least levels = {} (the curriculum's s1 >= s0)", s_.levels));
  if (s_.mu_schedule == "ct" && s_.mu <= 0) options.fail("mu_schedule", "ct scales mu: set mu > 0 (CT used 0.9)");
  if (s_.distance != "pseudo-huber" && !s_.huber_c.automatic) options.fail("huber_c", "is used by distance = \"pseudo-huber\" only");
}

std::int64_t Schedule::levels_at(std::int64_t step, std::int64_t steps) const {
  return s_.curriculum == "ict" ? curriculum_levels(step, steps, s_.levels, s_.max_levels) : s_.levels;
}

const Levels& Schedule::levels(const Sde& sde, std::int64_t step, std::int64_t steps, double sigma_max) {
  const std::int64_t n = levels_at(step, steps);
  auto it = cache_.find({n, sigma_max});
  if (it == cache_.end()) it = cache_.emplace(std::make_pair(n, sigma_max), Levels(sde, n, s_.rho, sigma_max)).first;
  return it->second;
}

at::Tensor Schedule::draw_intervals(const Levels& levels, BatchRandom& rng) const {
  if (s_.proposal == "uniform") return rng.integers(levels.size() - 1);  // n ~ U{1, ..., N - 1} (Song et al. 2023, alg. 2)
  const std::vector<double> w = lognormal_interval_weights(levels.sigmas(), s_.p_mean, s_.p_std);
  return rng.categorical(at::tensor(w, at::TensorOptions().dtype(at::kDouble)));
}

void Schedule::draw_continuous(const Sde& sde, const Trainee& trainee, BatchRandom& rng, const at::Tensor& x0,
                               Pair& p) const {
  const double sigma_min = sigma_min_of(sde);
  const double sigma_max = std::min(trainee.network->consistency_sigma_max(), sigma_max_of(sde));
  // sigma_{n+1} at least a thousandth above sigma_min, so that its t and sample_eps differ in float32
  at::Tensor upper = truncated_lognormal(rng.uniform({}, at::TensorOptions().dtype(at::kDouble)), s_.p_mean, s_.p_std,
                                         sigma_min * 1.001, sigma_max);
  at::Tensor lower = ect_lower(upper, ect_stage(trainee.step, trainee.steps, s_.ect_stages), s_.ect_q, s_.ect_k, s_.ect_b);
  // Each level's SDE time as the network receives it (float32), and sigma recomputed from that t, so that the
  // network and the weighting see one sigma; at or below sigma_min the lower level is t = sample_eps, where f = x.
  at::Tensor t_next = edm::t_of_sigma(sde, upper).to(at::kFloat);
  at::Tensor t_n = at::where(lower <= sigma_min, at::full_like(lower, sde.sample_eps()), edm::t_of_sigma(sde, lower)).to(at::kFloat);
  p.t_next = t_next.to(x0.options()), p.t_n = t_n.to(x0.options());
  p.sigma_next = sigma_at(sde, t_next).to(x0.device()), p.sigma_n = sigma_at(sde, t_n).to(x0.device());
  if (!at::all(p.sigma_n < p.sigma_next).item<bool>())
    throw Error("[objective] curriculum = \"ect\": a level pair collapsed to one t in float32; lower ect_stages or ect_q");
}

Pair Schedule::draw_pair(const Sde& sde, const at::Tensor& x0, const Trainee& trainee, BatchRandom& rng) {
  Pair p;
  if (s_.curriculum == "ect") {
    draw_continuous(sde, trainee, rng, x0, p);
  } else {
    const Levels& lv = levels(sde, trainee.step, trainee.steps, trainee.network->consistency_sigma_max());
    at::Tensor n = draw_intervals(lv, rng);
    p.sigma_n = lv.sigma(n).to(x0.device()), p.sigma_next = lv.sigma(n + 1).to(x0.device());
    p.t_n = lv.t(n, x0.options()), p.t_next = lv.t(n + 1, x0.options());
  }
  at::Tensor z = rng.normal_like(x0);
  // x_{n+1} = x0 + sigma_{n+1} z, x_n = x0 + sigma_n z (Song et al. 2023, alg. 3)
  p.x_next = x0 + batch_view(p.sigma_next.to(x0.scalar_type()), x0) * z;
  p.x_n = x0 + batch_view(p.sigma_n.to(x0.scalar_type()), x0) * z;
  return p;
}

double Schedule::target_decay(std::int64_t step, std::int64_t steps) const {
  if (s_.mu_schedule == "constant") return s_.mu;
  // mu(k) = exp(s0 log mu0 / N(k)) (Song et al. 2023, app. C)
  return std::exp(static_cast<double>(s_.levels) * std::log(s_.mu) / static_cast<double>(levels_at(step, steps)));
}

at::Tensor Schedule::loss(Network& student, Network& target, const Sde& sde, const Pair& pair, const at::Tensor& y) const {
  const Distance kind = s_.distance == "l2" ? Distance::L2 : Distance::PseudoHuber;
  const double c = s_.huber_c.automatic ? huber_constant(pair.x_next[0].numel()) : s_.huber_c.value;
  return consistency::loss(student, target, sde, pair, y, kind, c,
                           s_.weighting == "uniform" ? Weighting::Uniform : Weighting::InverseGap);
}

std::string Schedule::describe() const {
  if (s_.curriculum == "ect")
    return fmt::format("continuous levels (ECT: gap sigma n(sigma) / {}^(stage + 1), {} stages), lognormal sigma, target mu {}, "
                       "{} distance, {} weighting", s_.ect_q, s_.ect_stages, s_.mu, s_.distance, s_.weighting);
  return fmt::format("{} levels{}, {} intervals, target mu {}{}, {} distance, {} weighting",
                     s_.curriculum == "ict" ? fmt::format("{}..{}", s_.levels + 1, s_.max_levels + 1) : std::to_string(s_.levels),
                     s_.curriculum == "ict" ? " (iCT curriculum)" : "", s_.proposal, s_.mu,
                     s_.mu_schedule == "ct" ? " (CT schedule)" : "", s_.distance, s_.weighting);
}

}  // namespace scoregen::consistency
