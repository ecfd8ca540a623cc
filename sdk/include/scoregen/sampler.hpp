// Samplers turn a ScoreModel into samples: PC loops, annealed Langevin, ODE and fast solvers.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/ATen.h>

#include "scoregen/plugin.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/score_model.hpp"

namespace scoregen {

// Optional hooks: `project(x, t)` is applied after every update (inpainting, colorization).
struct SampleHooks {
  std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)> project;
  // RePaint-style resampling (Lugmayr et al. 2022), honoured by the pc sampler: every `jump_length` steps,
  // re-noise forward `jump_length` steps and redo them, `resample - 1` extra times.
  std::int64_t jump_length = 1, resample = 1;
};

class SCOREGEN_API Sampler : public Component {
 public:
  // Draw samples of `shape` (batch first) from `model`, starting from its SDE's prior.
  virtual at::Tensor sample(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator gen,
                            Progress& progress, const SampleHooks& hooks) = 0;
  // Number of steps the progress bar counts.
  virtual std::int64_t steps(const Sde& sde) const = 0;
  // One-line description for logs, e.g. "pc (reverse-diffusion + langevin, snr 0.16)".
  virtual std::string describe() const = 0;
};

}  // namespace scoregen
