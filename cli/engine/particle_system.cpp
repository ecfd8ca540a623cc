// Weighted particle systems for sequential Monte Carlo (docs/formulas.md "Sequential Monte Carlo").
#include "engine/particle_system.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "engine/pipeline.hpp"
#include "engine/session.hpp"
#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::engine {

at::Tensor log_normal(const at::Tensor& u, const at::Tensor& mu, const at::Tensor& var) {
  return -0.5 * (u - mu).pow(2) / var - 0.5 * at::log(2 * M_PI * var);
}

at::Tensor sum_rows(const at::Tensor& v) { return v.reshape({v.size(0), -1}).sum(1); }

SmcSettings read_smc_settings(const std::string& section, const Options& table, const std::string& method_key) {
  SmcSettings s;
  s.on = table.string(method_key) == "smc";
  for (const char* key : {"particles", "ess_threshold"})
    if (!s.on && !holds_default(section, table, key))
      table.fail(key, fmt::format("only sequential Monte Carlo uses it: set {} = \"smc\" as well", method_key));
  s.particles = table.integer("particles");
  s.ess_threshold = table.real("ess_threshold");
  return s;
}

void require_gaussian_draws(const Session& session, const Sampler& sampler, const std::string& setting) {
  if (!sampler.honours_gaussian_draws())
    throw Error(fmt::format("{}: {} weighs every Gaussian move of the sampler, which the {} sampler does not hand "
                            "over; use pc (without RePaint resampling)",
                            session.pipeline->source(), setting, session.pipeline->plugin("sampler").name));
}

ParticleSystem::ParticleSystem(std::int64_t groups, std::int64_t particles, double ess_threshold, at::Generator gen)
    : threshold_(ess_threshold * static_cast<double>(particles)), gen_(std::move(gen)) {
  log_w_ = at::zeros({groups, particles}, at::kDouble);
  w_ = at::full({groups, particles}, 1.0 / static_cast<double>(particles), at::kDouble);
  ess_ = at::full({groups}, static_cast<double>(particles), at::kDouble);
  summary_.particles = particles;
  summary_.groups = groups;
  summary_.min_ess = static_cast<double>(particles);
}

void ParticleSystem::reweight(const at::Tensor& log_increment, bool move) {
  log_w_ = log_w_ + log_increment.to(at::kDouble).cpu().view_as(log_w_);
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
  return fmt::format("smc: {} particles per {}; effective sample size: smallest {:.2f}, median {:.2f}; {:.1f} "
                     "resamplings per {} in {} moves",
                     d.particles, per, d.min_ess, d.median_ess, d.resamplings_per_output, per, d.moves);
}

std::string smc_warning(const SmcDiagnostics& d, const std::string& particles_key) {
  if (d.min_ess >= kFewParticles) return {};
  return fmt::format("smc: warning: the effective sample size fell to {:.2f} of {} particles, so some draws rest on one "
                     "or two particles and can be off the exact conditional; raise {} (or the sampler's steps) until "
                     "the smallest stays above {}",
                     d.min_ess, d.particles, particles_key, kFewParticles);
}

std::string smc_record_entry(const SmcDiagnostics& d) {
  return fmt::format("smc = {{ particles = {}, min_ess = {:.4f}, median_ess = {:.4f}, resamplings_per_output = {:.4f}, "
                     "moves = {} }}\n",
                     d.particles, d.min_ess, d.median_ess, d.resamplings_per_output, d.moves);
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

}  // namespace scoregen::engine
