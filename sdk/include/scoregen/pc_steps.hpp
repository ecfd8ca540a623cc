// The steps of the predictor-corrector sampler (Song et al. 2021, alg. 1): a predictor advances the reverse-time
// process from t to t + dt (dt < 0), a corrector runs score-based MCMC at t. Both are plugins, chosen by the pc
// sampler's `predictor` and `corrector` options; their own options join the [sampler] table.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/plugin.hpp"
#include "scoregen/score_model.hpp"

namespace scoregen {

// One update: the new sample and its noise-free mean (the pc sampler returns the last mean when denoising), and,
// when the update is one Gaussian move x = mean + std z, that std (shape [B]; undefined otherwise) and the score at
// the step's input: a conditional sampler (SMC inpainting, docs/formulas.md "Sequential Monte Carlo inpainting")
// redraws x from them.
struct Step {
  at::Tensor x, mean, std, score;
};

class SCOREGEN_API Predictor : public Component {
 public:
  // One reverse-time step from t (shape [B]); dt = -T / steps is the pc grid's step.
  virtual Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, double dt, at::Generator& gen) = 0;
  // True when the step follows the SDE's own N-step discretisation (reverse diffusion, ancestral), so the pc
  // sampler must run exactly N steps.
  virtual bool uses_sde_grid() const { return false; }
};

class SCOREGEN_API Corrector : public Component {
 public:
  virtual Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, at::Generator& gen) = 0;
};

}  // namespace scoregen
