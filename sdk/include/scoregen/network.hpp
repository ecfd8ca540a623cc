// A score network: a torch::nn::Module conditioned on time (and optionally a class).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>

#include "scoregen/plugin.hpp"

namespace scoregen {

// What the network's output means (seed 000, eq. 9-10): converted by ScoreModel.
enum class Prediction { Score, Noise, Data };
SCOREGEN_API const char* prediction_name(Prediction p);
SCOREGEN_API Prediction parse_prediction(const std::string& name);

class SCOREGEN_API Network : public torch::nn::Module, public Component {
 public:
  // x: [B, ...]; t: [B] in [0, T]; y: [B] int64 class labels or undefined.
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) = 0;
  virtual Prediction predicts() const = 0;
  // False for analytic oracles that have nothing to train.
  virtual bool trainable() const { return true; }
  // Shape of one example when the network fixes it (analytic oracles); empty: taken from [data].
  virtual std::vector<std::int64_t> example_shape() const { return {}; }
};

}  // namespace scoregen
