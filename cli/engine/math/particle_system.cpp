// Weighted particle systems for sequential Monte Carlo (docs/formulas.md "Sequential Monte Carlo").
#include "engine/math/particle_system.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

at::Tensor log_normal(const at::Tensor& u, const at::Tensor& mu, const at::Tensor& var) {
  return -0.5 * (u - mu).pow(2) / var - 0.5 * at::log(2 * M_PI * var);
}

at::Tensor sum_rows(const at::Tensor& v) { return v.reshape({v.size(0), -1}).sum(1); }

ParticleSystem::ParticleSystem(std::int64_t groups, std::int64_t particles, double ess_threshold, at::Generator gen)
    : threshold_(ess_threshold * static_cast<double>(particles)), gen_(std::move(gen)) {
  log_w_ = at::zeros({groups, particles}, at::kDouble);
  w_ = at::full({groups, particles}, 1.0 / static_cast<double>(particles), at::kDouble);
  ess_ = at::full({groups}, static_cast<double>(particles), at::kDouble);
  log_evidence_ = at::zeros({groups}, at::kDouble);
  summary_.particles = particles;
  summary_.groups = groups;
  summary_.min_ess = static_cast<double>(particles);
}

void ParticleSystem::reweight(const at::Tensor& log_increment, bool move) {
  const at::Tensor inc = log_increment.to(at::kDouble).cpu().view_as(log_w_);
  log_evidence_ = log_evidence_ + at::logsumexp(at::log(w_) + inc, 1);
  log_w_ = log_w_ + inc;
  if (!(log_w_.amax(1) > -INFINITY).all().item<bool>() || at::isnan(log_w_).any().item<bool>())
    throw Error("sequential Monte Carlo: every particle of a system has weight zero (the target rules them all "
                "out: a classifier certain of another class, or a known part the model cannot produce)");
  w_ = at::softmax(log_w_, 1);
  if (move) ++summary_.moves;
  // effective sample size (sum w)^2 / sum w^2 of each group (Kong et al. 1994)
  ess_ = 1.0 / w_.pow(2).sum(1);
  summary_.min_ess = std::min(summary_.min_ess, ess_.min().item<double>());
  const at::Tensor seen = ess_.contiguous();
  ess_seen_.insert(ess_seen_.end(), seen.data_ptr<double>(), seen.data_ptr<double>() + seen.numel());
}

const SmcSummary& ParticleSystem::summary() const {
  if (ess_seen_.empty()) {
    summary_.median_ess = static_cast<double>(summary_.particles);
  } else {
    std::vector<double> v = ess_seen_;
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    summary_.median_ess = *mid;
  }
  return summary_;
}

std::string smc_report_line(const SmcDiagnostics& d, const std::string& per) {
  const std::string sweeps =
      d.sweeps > 1 ? fmt::format(", {} sweeps combined by independent Metropolis-Hastings (acceptance {:.2f})",
                                 d.sweeps, d.acceptance)
                   : ", one sweep";
  return fmt::format("smc: {} particles per {}{}; effective sample size: smallest {:.2f}, median {:.2f}; {:.1f} "
                     "resamplings per {} in {} moves per sweep",
                     d.particles, per, sweeps, d.min_ess, d.median_ess, d.resamplings_per_output, per, d.moves);
}

std::string smc_warning(const SmcDiagnostics& d, const std::string& particles_key) {
  if (d.min_ess >= kFewParticles) return {};
  return fmt::format("smc: warning: the effective sample size fell to {:.2f} of {} particles, so some systems rest on "
                     "one or two particles and the sweeps must make up for them (a low acceptance); raise {} (or the "
                     "sampler's steps) until the smallest stays above {}",
                     d.min_ess, d.particles, particles_key, kFewParticles);
}

std::string smc_record_entry(const SmcDiagnostics& d) {
  return fmt::format("smc = {{ particles = {}, sweeps = {}, acceptance = {:.4f}, min_ess = {:.4f}, median_ess = {:.4f}, "
                     "resamplings_per_output = {:.4f}, moves = {} }}\n",
                     d.particles, d.sweeps, d.acceptance, d.min_ess, d.median_ess, d.resamplings_per_output, d.moves);
}

at::Tensor ParticleSystem::resample() {
  const std::int64_t g = log_w_.size(0), k = log_w_.size(1);
  at::Tensor low = ess_ < threshold_;  // the sizes of the last reweighting
  if (!low.any().item<bool>()) return {};
  // systematic resampling: K equally spaced points u_k = (U + k) / K on each group's cumulative weights
  at::Tensor cdf = w_.cumsum(1);
  cdf.select(1, k - 1).fill_(1.0);
  at::Tensor u = (rand_from({g, 1}, gen_, cdf.options()) + at::arange(k, cdf.options())) / static_cast<double>(k);
  at::Tensor ancestors = at::searchsorted(cdf, u).clamp_max(k - 1);
  at::Tensor keep = at::arange(k, ancestors.options()).expand({g, k});
  ancestors = at::where(low.unsqueeze(1), ancestors, keep);
  log_w_ = at::where(low.unsqueeze(1), at::zeros_like(log_w_), log_w_);
  w_ = at::softmax(log_w_, 1);
  ess_ = at::where(low, at::full_like(ess_, static_cast<double>(k)), ess_);
  summary_.resamplings += low.sum().item<std::int64_t>();
  return (ancestors + k * at::arange(g, ancestors.options()).unsqueeze(1)).reshape(-1);
}

at::Tensor ParticleSystem::weights() const { return w_; }

at::Tensor ParticleSystem::select(const at::Tensor& x) {
  at::Tensor chosen = at::multinomial(w_, 1, false, gen_).squeeze(1);
  at::Tensor rows = chosen + summary_.particles * at::arange(summary_.groups, chosen.options());
  return x.index_select(0, rows.to(x.device()));
}

void IndependentMetropolis::offer(std::vector<at::Tensor> states, const at::Tensor& log_evidence) {
  const at::Tensor log_z = log_evidence.to(at::kDouble).cpu();
  ++sweeps_;
  if (states_.empty()) {
    states_ = std::move(states), log_evidence_ = log_z;
    return;
  }
  // accept with probability min(1, Z_new / Z_current) (section 2.4.1's ratio)
  const at::Tensor accept = at::log(rand_from({log_z.size(0)}, gen_, log_z.options())) < log_z - log_evidence_;
  for (std::size_t j = 0; j < states_.size(); ++j) {
    const at::Tensor where = batch_view(accept.to(states_[j].device()), states_[j]);
    states_[j] = at::where(where, states[j].to(states_[j].dtype()), states_[j]);
  }
  log_evidence_ = at::where(accept, log_z, log_evidence_);
  accepted_ += accept.sum().item<double>();
  offers_ += static_cast<double>(log_z.size(0));
}

at::Tensor run_sweeps(const SmcSettings& settings, at::Generator gen, const std::function<SmcSweep(const std::string& label)>& sweep,
                      at::Tensor row) {
  IndependentMetropolis chain(std::move(gen));
  std::vector<double> medians;
  double min_ess = INFINITY, resamplings = 0, moves = 0;
  for (std::int64_t i = 0; i < settings.sweeps; ++i) {
    SmcSweep s = sweep(settings.sweeps > 1 ? fmt::format(" (sweep {}/{})", i + 1, settings.sweeps) : std::string());
    chain.offer({s.draws}, s.log_evidence);
    min_ess = std::min(min_ess, s.summary.min_ess);
    resamplings += static_cast<double>(s.summary.resamplings);
    moves = static_cast<double>(s.summary.moves);
    medians.push_back(s.summary.median_ess);
  }
  std::nth_element(medians.begin(), medians.begin() + static_cast<std::ptrdiff_t>(medians.size() / 2), medians.end());
  row.copy_(at::tensor({min_ess, resamplings, moves, medians[medians.size() / 2], chain.accepted(), chain.offers()},
                       at::kDouble));
  return chain.current()[0];
}

SmcDiagnostics smc_diagnostics(const at::Tensor& rows, const SmcSettings& settings, std::int64_t outputs) {
  SmcDiagnostics d;
  d.particles = settings.particles, d.sweeps = settings.sweeps;
  d.min_ess = rows.select(1, 0).min().item<double>();
  d.resamplings_per_output = rows.select(1, 1).sum().item<double>() / static_cast<double>(outputs);
  d.moves = static_cast<std::int64_t>(rows.select(1, 2).max().item<double>());
  d.median_ess = rows.select(1, 3).median().item<double>();
  const double offers = rows.select(1, 5).sum().item<double>();
  d.acceptance = offers > 0 ? rows.select(1, 4).sum().item<double>() / offers : 1.0;
  return d;
}

}  // namespace scoregen::engine
