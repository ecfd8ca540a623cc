// Samplers turn a ScoreModel into samples: the PC loop, annealed Langevin, ODE and fast solvers.
//
// The contract a sampler keeps (docs/plugins.md "Samplers"):
// - it starts from the SDE's prior (or its own start), draws all randomness from `gen`, and creates tensors with
//   model.options() so it runs on the model's device;
// - it calls progress.update(k) after step k of steps(sde) and throws Interrupted when interrupt_requested();
// - when hooks.project is set it applies it after every update, at the time of the state it returns to
//   (the conditioning hook of inpainting and colorization); a sampler that cannot do so says so through
//   honours_projection(), and inpainting refuses it;
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
};

}  // namespace scoregen
