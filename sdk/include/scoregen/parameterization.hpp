// The one conversion point between score, noise (epsilon) and data (x0) predictions.
#pragma once

#include <ATen/ATen.h>

#include "scoregen/network.hpp"

namespace scoregen {

// x_t = a x0 + s eps. a, s: [B]. Seed 000 eq. 9-10; REFERENCE.md "Parameterisations".
SCOREGEN_API at::Tensor to_score(Prediction kind, const at::Tensor& out, const at::Tensor& x,
                                 const at::Tensor& a, const at::Tensor& s);
// Inverse: express a score as the given prediction (used by losses and tests).
SCOREGEN_API at::Tensor from_score(Prediction kind, const at::Tensor& score, const at::Tensor& x,
                                   const at::Tensor& a, const at::Tensor& s);

}  // namespace scoregen
