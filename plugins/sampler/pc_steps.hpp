// Predictor and corrector steps of the PC sampler (score_sde_pytorch sampling.py).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scoregen/score_model.hpp"

namespace scoregen::plugins {

// One update: the new sample and its noise-free mean (returned at the end when denoising).
struct Step {
  at::Tensor x, mean;
};

class Predictor {
 public:
  virtual ~Predictor() = default;
  // One reverse-time step from t (shape [B]) by dt = -T/N.
  virtual Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, at::Generator& gen) = 0;
};

class Corrector {
 public:
  virtual ~Corrector() = default;
  virtual Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, at::Generator& gen) = 0;
};

const std::vector<std::string>& predictor_names();
const std::vector<std::string>& corrector_names();
// nullptr for "none".
std::unique_ptr<Predictor> make_predictor(const std::string& name, const Sde& sde);
std::unique_ptr<Corrector> make_corrector(const std::string& name, double snr, std::int64_t n_steps);

// Standard normal noise like x from gen.
at::Tensor noise_like(const at::Tensor& x, at::Generator& gen);
// alpha_i = 1 - beta_i for the VP family, 1 for VE (the Langevin corrector's step scale).
at::Tensor langevin_alpha(const Sde& sde, const at::Tensor& t);

}  // namespace scoregen::plugins
