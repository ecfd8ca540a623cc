// Training objectives ([objective] plugin = "..."; docs/formulas.md "Training objectives") and the pieces they
// share: training times, the perturbation kernel, reductions and the DSM loss.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

#include "scoregen/batch_random.hpp"
#include "scoregen/dataset.hpp"
#include "scoregen/plugin.hpp"

namespace scoregen {

class Guidance;
class Network;
class ScoreModel;

// What an objective trains: the score network, or the [guidance] classifier.
enum class TrainingTarget { Network, Guidance };
struct Trainee {
  Network* network = nullptr;    // set when target() is Network
  Guidance* guidance = nullptr;  // set when target() is Guidance
  // Consistency objectives: the target network theta^- (a second instance of [network], no gradients; the Trainer
  // keeps its weights at the EMA of target_decay()), and for distillation the trained teacher's score.
  Network* target = nullptr;
  ScoreModel* teacher = nullptr;
  std::int64_t step = 0, steps = 0;  // the step being taken (0-based) and [train] steps: curricula follow them
};

class SCOREGEN_API Objective : public Component {
 public:
  virtual TrainingTarget target() const { return TrainingTarget::Network; }
  // The mean loss over the batch: a scalar with a graph back to the trainee's parameters. Every random number
  // (times, noise, probes) comes from `rng`, per example.
  virtual at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) = 0;
  virtual std::string describe() const = 0;
  // Objectives with a target network (consistency models): the decay mu of theta^- <- mu theta^- + (1 - mu) theta
  // after step k (Song et al. 2023, eq. 8); negative: the objective has none (the default).
  virtual double target_decay(std::int64_t step, std::int64_t steps) const {
    (void)step, (void)steps;
    return -1.0;
  }
  // Distillation: the trained score model it learns from (Trainee::teacher), as a checkpoint or, for an analytic
  // network, a pipeline file (`scoregen distill --teacher`); empty: none (the default).
  virtual std::string teacher() const { return {}; }
};

namespace objective {
// Training times: t ~ U(train_eps, T) for continuous SDEs, a uniform grid index for discrete ones.
SCOREGEN_API at::Tensor sample_times(const Sde& sde, BatchRandom& rng, const at::TensorOptions& opts);
// A perturbed batch x_t = a(t) x0 + s(t) z at training times t (Song et al. 2021, eq. 7).
struct Perturbed {
  at::Tensor t, xt, z, std;  // std: [B]
};
SCOREGEN_API Perturbed perturb(const Sde& sde, const at::Tensor& x0, BatchRandom& rng);
// Per-example reduction of a [B, ...] tensor: mean over dimensions, or half the sum.
SCOREGEN_API at::Tensor reduce(const at::Tensor& per_dim, bool half_sum);
// The network's output at (x, t) as a score.
SCOREGEN_API at::Tensor score_of(Network& network, const Sde& sde, const at::Tensor& x, const at::Tensor& t,
                                 const at::Tensor& y);
// The weighting lambda(t) of denoising score matching: sigma(t)^2, or g(t)^2 (likelihood weighting, Song et al. 2021,
// "Maximum likelihood training of score-based diffusion models", thm. 1).
enum class DsmWeighting { SigmaSquared, Likelihood };
// How one example's squared error is reduced over its dimensions: their mean, or half their sum (NCSN's 1/2 |.|^2).
enum class DsmReduction { Mean, HalfSum };
// Denoising score matching (Vincent 2011; Song et al. 2021, eq. 7) at one draw of t and z per example:
// lambda = sigma^2 gives |s s(x_t) + z|^2, likelihood weighting gives g(t)^2 |s(x_t) + z / s|^2; reduced per
// example and averaged over the batch.
SCOREGEN_API at::Tensor dsm_loss(Network& network, const Sde& sde, const Batch& batch, BatchRandom& rng,
                                 DsmWeighting weighting, DsmReduction reduction);
}  // namespace objective

}  // namespace scoregen
