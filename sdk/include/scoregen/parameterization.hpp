// The one conversion point between score, noise (epsilon) and data (x0) predictions (docs/formulas.md
// "Parameterisations").
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"

namespace scoregen {

// What a network's output means; ScoreModel converts it to a score.
enum class Prediction { Score, Noise, Data };
SCOREGEN_API const char* prediction_name(Prediction p);
SCOREGEN_API Prediction parse_prediction(const std::string& name);

// x_t = a x0 + s eps, a, s: [B]: score = -eps / s (Ho et al. 2020, sec. 3.2; Vincent 2011), and for a data
// prediction score = (a x0 - x_t) / s^2 (Tweedie's formula).
SCOREGEN_API at::Tensor to_score(Prediction kind, const at::Tensor& out, const at::Tensor& x, const at::Tensor& a,
                                 const at::Tensor& s);
// Inverse: express a score as the given prediction (used by losses and tests).
SCOREGEN_API at::Tensor from_score(Prediction kind, const at::Tensor& score, const at::Tensor& x, const at::Tensor& a,
                                   const at::Tensor& s);

}  // namespace scoregen
