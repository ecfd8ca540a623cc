// Sequential Monte Carlo class guidance: asymptotically exact draws of p(x_0) p(y | x_0)^w under the pipeline's
// reverse-time chain, for any [guidance] classifier p_t(y | x) (the twisted diffusion sampler, Wu et al. 2023;
// docs/formulas.md "Sequential Monte Carlo guidance").
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/math/particle_system.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"

namespace scoregen {
class Guidance;
}

namespace scoregen::engine {

// G independent particle systems of K particles each, run as one batch of G K rows (row g K + k is particle k of
// group g), each drawing the class labels[g]. The sampler runs on the unguided score; this hook adds the guidance.
class SmcGuidance {
 public:
  // labels [G] int64 on the model's device; scale w: the twist is p_t(y | x)^w (w = 1: the classifier's own
  // conditional). The final state is weighed by the classifier at final_time (the grid's last time).
  SmcGuidance(const Sde& sde, std::shared_ptr<Guidance> guidance, const at::Tensor& labels, double scale,
              std::int64_t particles, double ess_threshold, double final_time, at::Generator gen);
  // The gaussian_draw hook for a sampler (which must outlive neither this object nor its use).
  SampleHooks hooks();
  // One particle per group, drawn by the final weights: [G K, ...] -> [G, ...]. Call once the sampler returned.
  at::Tensor select(const at::Tensor& x);
  const SmcSummary& summary() const { return particles_.summary(); }
  at::Tensor weights() const { return particles_.weights(); }
  // Each system's log evidence [G] (the sweeps' acceptance; ParticleSystem::log_evidence).
  at::Tensor log_evidence() const { return particles_.log_evidence(); }
  // Evaluations of the classifier: two per move (its value and its gradient), one more at the final state.
  std::int64_t classifier_evaluations() const { return evaluations_; }

 private:
  at::Tensor draw(const at::Tensor& x, const at::Tensor& mean, const at::Tensor& std, const at::Tensor& t_next);
  at::Tensor log_twist(const at::Tensor& x, const at::Tensor& t);  // w log p_t(y | x), [B] float64

  const Sde& sde_;
  std::shared_ptr<Guidance> guidance_;
  at::Tensor labels_;  // per row [G K]
  double scale_, final_time_;
  ParticleSystem particles_;
  at::Generator gen_;
  at::Tensor t_;        // the time of the current state, per row
  at::Tensor pending_;  // [B] log K(x | x_prev) - log q(x | x_prev) - log h(x_prev) of the move that made x
  std::int64_t evaluations_ = 0;
  bool started_ = false, finished_ = false;
};

}  // namespace scoregen::engine
