// Sequential Monte Carlo inpainting and colorization: asymptotically exact draws of p(x_unknown | x_known) under
// the pipeline's reverse-time chain, for noiseless observations of a part of x (MCGdiff's proposal, Cardoso et al.
// 2024, with twisted intermediate targets, Wu et al. 2023; docs/formulas.md "Sequential Monte Carlo inpainting").
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/particle_system.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

// G independent particle systems of K particles each, run as one batch of G K rows (row g K + k is particle k of
// group g). Group g conditions on known[g]: x m = known m in the space of the observation (identity for inpainting,
// colorization's decoupled colours, where channel 0 is the grey level).
class SmcInpainting {
 public:
  // known [G, ...] in data space; mask [1 or G, ...] with 1 = known (in the observation's space); resample a group
  // when its effective sample size falls below ess_threshold K.
  SmcInpainting(const Sde& sde, const at::Tensor& known, const at::Tensor& mask, bool colorize, std::int64_t particles,
                double ess_threshold, at::Generator gen);
  // The gaussian_draw hook for a sampler (which must outlive neither this object nor its use).
  SampleHooks hooks();
  // One particle per group, drawn by the final weights: [G K, ...] -> [G, ...]. Call once the sampler returned.
  at::Tensor select(const at::Tensor& x);
  const SmcSummary& summary() const { return particles_.summary(); }
  // The normalised weights of every particle [G, K] (after the final state: the weighted particle approximation).
  at::Tensor weights() const { return particles_.weights(); }

 private:
  at::Tensor draw(const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean, const at::Tensor& std,
                  const at::Tensor& t_next);
  at::Tensor to_space(const at::Tensor& x) const;
  at::Tensor from_space(const at::Tensor& x) const;

  const Sde& sde_;
  at::Tensor y_, mask_;  // per row, float64, in the observation's space
  bool colorize_;
  ParticleSystem particles_;
  at::Generator gen_;
  at::Tensor a_, var_;               // the potential of the current state: N(x m; a y, var) per row ([B, 1, ...])
  at::Tensor pending_;               // [B] log Z(x_prev) - log h(x_prev) of the move that made the current state
  bool started_ = false, finished_ = false;
};

}  // namespace scoregen::engine
