// The bookkeeping every sequential Monte Carlo sampler shares: G independent systems of K weighted particles, run
// as one batch of G K rows (row g K + k is particle k of group g); log weights, effective sample size, systematic
// resampling, and the final draw of one particle per group (docs/formulas.md "Sequential Monte Carlo").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/host/smc_settings.hpp"

namespace scoregen::engine {

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
  std::int64_t particles = 0, sweeps = 1, moves = 0;
  double min_ess = 0, median_ess = 0, resamplings_per_output = 0;
  double acceptance = 1;  // the independent Metropolis-Hastings acceptance over the later sweeps
};
// Below this effective sample size the draws rest on one or two particles: the report says so.
constexpr double kFewParticles = 3.0;
// The report's line, e.g. "smc: 16 particles per completion; effective sample size: smallest 1.9, median 12.4; ..."
std::string smc_report_line(const SmcDiagnostics& d, const std::string& per);
// One line when the smallest ESS fell below kFewParticles, naming what to raise (`particles_key`); empty otherwise.
// (The sweeps keep the draws exact even then; the line says their cost.)
std::string smc_warning(const SmcDiagnostics& d, const std::string& particles_key);
// The [record] entry: smc = { particles = .., sweeps = .., acceptance = .., min_ess = .., median_ess = ..,
// resamplings_per_output = .., moves = .. }
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
  // log Z of each group [G]: the product over reweightings of the mean incremental weight, an unbiased estimate of
  // the final target's normalising constant (Del Moral 2004), the quantity particle MCMC accepts by.
  at::Tensor log_evidence() const { return log_evidence_; }
  // The summary so far (its median ESS computed now).
  const SmcSummary& summary() const;
  std::int64_t rows() const { return summary_.groups * summary_.particles; }

 private:
  double threshold_;
  at::Generator gen_;
  at::Tensor log_w_;  // [G, K] log weights since each group's last resampling
  at::Tensor w_;      // their softmax, kept from the last reweighting
  at::Tensor log_evidence_;  // [G]
  at::Tensor ess_;    // [G] each group's effective sample size, from the same
  std::vector<double> ess_seen_;  // every group's ESS after every reweighting: the median's sample
  mutable SmcSummary summary_;
};

// Particle independent Metropolis-Hastings (Andrieu, Doucet & Holenstein 2010, "Particle Markov chain Monte Carlo
// methods", section 2.4.1): independent SMC sweeps of the same G systems, each group keeping its current sweep's draw
// or moving to the new one with probability min(1, Z_new / Z_current). Its draws follow the final target exactly for
// any number of particles as the sweeps grow, where one sweep alone is off by O(1 / particles): the systems that put
// more particles where the target is have larger Z. One sweep is plain SMC.
class IndependentMetropolis {
 public:
  explicit IndependentMetropolis(at::Generator gen) : gen_(std::move(gen)) {}
  // A sweep's per-group states (each [G, ...], on any device) and their systems' log evidence [G]; the first sweep is
  // taken as it is.
  void offer(std::vector<at::Tensor> states, const at::Tensor& log_evidence);
  const std::vector<at::Tensor>& current() const { return states_; }
  std::int64_t sweeps() const { return sweeps_; }
  // The later sweeps' offers over all groups, and how many were accepted; their ratio (1 with one sweep).
  double offers() const { return offers_; }
  double accepted() const { return accepted_; }
  double acceptance() const { return offers_ > 0 ? accepted_ / offers_ : 1.0; }

 private:
  at::Generator gen_;
  std::vector<at::Tensor> states_;
  at::Tensor log_evidence_;
  std::int64_t sweeps_ = 0;
  double accepted_ = 0, offers_ = 0;
};

// One sweep of an SMC sampler over a batch of G outputs: one draw per system, the systems' log evidence, the summary.
struct SmcSweep {
  at::Tensor draws, log_evidence;
  SmcSummary summary;
};
// The figures a batch's sweeps contribute to SmcDiagnostics, one row of kSmcColumns numbers (summed over ranks with
// the outputs): smallest ESS, resamplings, moves per sweep, median ESS, accepted offers, offers.
constexpr std::int64_t kSmcColumns = 6;
// `settings.sweeps` sweeps, combined by IndependentMetropolis (drawing with `gen`): the chosen draws [G, ...]; the
// batch's figures go into `row` [kSmcColumns]. `sweep` is called with a progress label's suffix, " (sweep i/n)", or
// "" for one sweep.
at::Tensor run_sweeps(const SmcSettings& settings, at::Generator gen, const std::function<SmcSweep(const std::string& label)>& sweep,
                      at::Tensor row);
// Every batch's row [B, kSmcColumns] -> what the user is told about `outputs` draws.
SmcDiagnostics smc_diagnostics(const at::Tensor& rows, const SmcSettings& settings, std::int64_t outputs);

}  // namespace scoregen::engine
