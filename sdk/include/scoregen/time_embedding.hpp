// Time embeddings shared by the networks: sinusoidal features of t (DDPM) and Gaussian Fourier
// features of log sigma (NCSN++), the way the reference implementations condition on noise.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"

namespace scoregen {

// DDPM's transformer-style embedding of v = 1000 t: [sin(v w_k), cos(v w_k)], w_k = 10000^{-k/(half-1)}.
SCOREGEN_API at::Tensor sinusoidal_embedding(const at::Tensor& v, std::int64_t dim);
// Gaussian Fourier features [sin(2 pi v W), cos(2 pi v W)] of v with fixed random W [dim/2].
SCOREGEN_API at::Tensor fourier_embedding(const at::Tensor& v, const at::Tensor& w);

}  // namespace scoregen
