// The bookkeeping every sequential Monte Carlo sampler shares: G independent systems of K weighted particles, run
// as one batch of G K rows (row g K + k is particle k of group g); log weights, effective sample size, systematic
// resampling, and the final draw of one particle per group (docs/formulas.md "Sequential Monte Carlo").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace scoregen {
class Options;
class Sampler;
}

namespace scoregen::engine {

struct Session;

// A command table's SMC keys: `method_key` = "smc" turns it on; `particles` and `ess_threshold` set away from their
// defaults without it are an error naming the key.
struct SmcSettings {
  bool on = false;
  std::int64_t particles = 0;
  double ess_threshold = 0.5;
};
SmcSettings read_smc_settings(const std::string& section, const Options& table, const std::string& method_key);
// SMC weighs every Gaussian move of the sampler: an error naming `setting` when the [sampler] does not hand them over.
void require_gaussian_draws(const Session& session, const Sampler& sampler, const std::string& setting);

struct SmcSummary {
  std::int64_t particles = 0, groups = 0;
  std::int64_t moves = 0;        // reweightings (one per Gaussian move of the sampler)
  std::int64_t resamplings = 0;  // summed over the groups
  double min_ess = 0;            // the smallest effective sample size seen in any group, out of `particles`
  double median_ess = 0;         // the median of every group's effective sample size after every reweighting
};

// What a run of SMC tells its user (the command's report, --json and the output's [record]): `outputs` draws,
// with the summaries' smallest ESS, the median of their medians, and resamplings per output.
struct SmcDiagnostics {
  std::int64_t particles = 0, moves = 0;
  double min_ess = 0, median_ess = 0, resamplings_per_output = 0;
};
// Below this effective sample size the draws rest on one or two particles: the report says so.
constexpr double kFewParticles = 3.0;
// The report's line, e.g. "smc: 16 particles per completion; effective sample size: smallest 1.9, median 12.4; ..."
std::string smc_report_line(const SmcDiagnostics& d, const std::string& per);
// One line when the smallest ESS fell below kFewParticles, naming what to raise (`particles_key`); empty otherwise.
std::string smc_warning(const SmcDiagnostics& d, const std::string& particles_key);
// The [record] entry: smc = { particles = .., min_ess = .., median_ess = .., resamplings_per_output = .., moves = .. }
std::string smc_record_entry(const SmcDiagnostics& d);

// log N(u; mu, var) elementwise, and a [B, ...] tensor summed over all but its batch dimension: the pieces of
// every incremental weight.
at::Tensor log_normal(const at::Tensor& u, const at::Tensor& mu, const at::Tensor& var);
at::Tensor sum_rows(const at::Tensor& v);

class ParticleSystem {
 public:
  // Resample a group when its effective sample size falls below ess_threshold K.
  ParticleSystem(std::int64_t groups, std::int64_t particles, double ess_threshold, at::Generator gen);
  // Multiply each particle's weight by exp(log_increment) ([G K], float64); `move`: it weighs a Gaussian move (the
  // summary's count). A system whose every weight is zero is an error.
  void reweight(const at::Tensor& log_increment, bool move = true);
  // The rows [G K] each particle descends from: systematic resampling (Kitagawa 1996) in every group whose effective
  // sample size fell below the threshold (their weights become equal), the particle itself in the others; an
  // undefined tensor when no group resamples. A CPU tensor, like every tensor the system keeps.
  at::Tensor resample();
  // One particle per group, drawn by the final weights: [G K, ...] -> [G, ...].
  at::Tensor select(const at::Tensor& x);
  // The normalised weights [G, K]: after the last reweighting, the weighted particle approximation of each target.
  at::Tensor weights() const;
  // The summary so far (its median ESS computed now).
  const SmcSummary& summary() const;
  std::int64_t rows() const { return summary_.groups * summary_.particles; }

 private:
  double threshold_;
  at::Generator gen_;
  at::Tensor log_w_;  // [G, K] log weights since each group's last resampling
  at::Tensor w_;      // their softmax, kept from the last reweighting
  at::Tensor ess_;    // [G] each group's effective sample size, from the same
  std::vector<double> ess_seen_;  // every group's ESS after every reweighting: the median's sample
  mutable SmcSummary summary_;
};

}  // namespace scoregen::engine
