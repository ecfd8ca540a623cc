// Samplers turn a ScoreModel into samples: the PC loop, annealed Langevin, ODE and fast solvers.
//
// The contract a sampler keeps (docs/plugins.md "Samplers"):
// - it starts from the SDE's prior (or its own start), draws all randomness from `gen`, and creates tensors with
//   model.options() so it runs on the model's device;
// - it calls progress.update(k) after step k of steps(sde) and throws Interrupted when interrupt_requested();
// - when hooks.project is set it applies it after every update, at the time of the state it returns to
//   (the conditioning hook of inpainting and colorization); a sampler that cannot do so says so through
//   honours_projection(), and inpainting refuses it;
// - when hooks.gaussian_draw is set (SMC inpainting) and honours_gaussian_draws() is true, every Gaussian move
//   goes through it;
// - the final denoising step, if any, is its own option and counts in model.nfe() like every evaluation: NFE is
//   what model.nfe() counts, never a sampler's own tally;
// - its step count, if it has one, is an option declared with takes_steps() (its own, or another table's key
//   such as [sde] N), so that `--steps N` on every sampling command reaches it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/plugin.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/score_model.hpp"

namespace scoregen {

struct SampleHooks {
  // x <- project(x, t) after every update (x at time t, t of shape [B]); unset: unconditional sampling.
  std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)> project;
  // Set by a sequential Monte Carlo conditional sampler: every update of x whose new state is one Gaussian move
  // mean + std z (std of shape [B]) is drawn by x' = gaussian_draw(x, score, mean, std, t_next) instead (score: the
  // model's score at x, which the move used), which may also reorder the batch (resampling). t_next [B] is the time
  // whose marginal the new state follows (a corrector's own t); an undefined t_next marks the sampler's final state.
  // Samplers that can do so say so by honours_gaussian_draws().
  std::function<at::Tensor(const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean, const at::Tensor& std,
                           const at::Tensor& t_next)>
      gaussian_draw;
};

class SCOREGEN_API Sampler : public Component {
 public:
  // Draw samples of `shape` (batch first) from `model`.
  virtual at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen,
                            Progress& progress, const SampleHooks& hooks) = 0;
  // Number of steps the progress reports (0: unknown in advance, e.g. an adaptive solver).
  virtual std::int64_t steps(const Sde& sde) const = 0;
  // One-line description for logs, e.g. "pc (reverse-diffusion + langevin, snr 0.16)".
  virtual std::string describe() const = 0;
  // False when hooks.project cannot be applied after every update (an adaptive ODE solve).
  virtual bool honours_projection() const { return true; }
  // True when every update is a Gaussian move handed to hooks.gaussian_draw when it is set, and the result is the
  // last drawn state (the pc sampler without RePaint resampling).
  virtual bool honours_gaussian_draws() const { return false; }
  // True for a sampler of consistency functions (Network::consistency_sigma_min() > 0): the host pairs such networks
  // with such samplers only, since a consistency function maps noise to data and has no score.
  virtual bool samples_consistency_functions() const { return false; }
};

}  // namespace scoregen
