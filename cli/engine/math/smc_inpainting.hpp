// Sequential Monte Carlo inpainting and colorization: asymptotically exact draws of p(x_unknown | x_known) under
// the pipeline's reverse-time chain, for noiseless observations of a part of x. One family of potentials steers the
// proposal and weighs the particles (MCGdiff's fully adapted filter, Cardoso et al. 2024); each potential is p(y | x')
// under the model's own Gaussian law of the known part at the particle (Tweedie's first and second moments), so the
// weights carry which mode the particle is in before the known part is clean (docs/formulas.md "Sequential Monte
// Carlo inpainting").
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/math/particle_system.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/score_model.hpp"

namespace scoregen::engine {

// G independent particle systems of K particles each, run as one batch of G K rows (row g K + k is particle k of
// group g). Group g conditions on known[g]: x m = known m in the space of the observation (identity for inpainting,
// colorization's decoupled colours, where channel 0 is the grey level).
class SmcInpainting {
 public:
  // known [G, ...] in data space; mask [1 or G, ...] with 1 = known (in the observation's space); resample a group
  // when its effective sample size falls below ess_threshold K. The model is the sampler's: each move evaluates its
  // score once more, with a backward pass, for the Jacobian of the known block.
  SmcInpainting(ScoreModel& model, const at::Tensor& known, const at::Tensor& mask, bool colorize, std::int64_t particles,
                double ess_threshold, at::Generator gen);
  // The gaussian_draw hook for a sampler (which must outlive neither this object nor its use).
  SampleHooks hooks();
  // One particle per group, drawn by the final weights: [G K, ...] -> [G, ...]. Call once the sampler returned.
  at::Tensor select(const at::Tensor& x);
  const SmcSummary& summary() const { return particles_.summary(); }
  // The normalised weights of every particle [G, K] (after the final state: the weighted particle approximation).
  at::Tensor weights() const { return particles_.weights(); }
  // Each system's log evidence [G] (the sweeps' acceptance; ParticleSystem::log_evidence).
  at::Tensor log_evidence() const { return particles_.log_evidence(); }

 private:
  at::Tensor draw(const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean, const at::Tensor& std,
                  const at::Tensor& t_next);
  // The diagonal of the score's Jacobian at x on the known values, in the observation's space (0 elsewhere): exact
  // for up to 8 known values per example, else their mean (Hutchinson's trace estimator) on each.
  at::Tensor known_jacobian_diagonal(const at::Tensor& x);
  // log N(x m; centre, var) of the potential that steered the move to x, with its scale.
  at::Tensor log_potential(const at::Tensor& xs) const;
  at::Tensor to_space(const at::Tensor& x) const;
  at::Tensor from_space(const at::Tensor& x) const;

  ScoreModel& model_;
  at::Tensor y_, mask_;  // per row, float64, in the observation's space
  bool colorize_;
  ParticleSystem particles_;
  at::Generator gen_;
  at::Tensor t_;                              // the current state's time [B]
  at::Tensor centre_, var_, log_scale_;       // the potential that steered the move to the current state
  bool started_ = false, finished_ = false;
};

}  // namespace scoregen::engine
