// Time embeddings (DDPM get_timestep_embedding; NCSN++ GaussianFourierProjection).
#include "scoregen/time_embedding.hpp"

#include <cmath>

#include <ATen/ATen.h>

namespace scoregen {

at::Tensor sinusoidal_embedding(const at::Tensor& v, std::int64_t dim) {
  const std::int64_t half = dim / 2;
  // w_k = exp(-ln(10000) k / (half - 1))
  at::Tensor k = at::arange(half, v.options());
  at::Tensor freqs = at::exp(-std::log(10000.0) * k / static_cast<double>(std::max<std::int64_t>(half - 1, 1)));
  at::Tensor args = v.reshape({-1, 1}) * freqs.unsqueeze(0);
  at::Tensor emb = at::cat({at::sin(args), at::cos(args)}, 1);
  if (dim % 2) emb = at::constant_pad_nd(emb, {0, 1});
  return emb;
}

at::Tensor fourier_embedding(const at::Tensor& v, const at::Tensor& w) {
  // [sin(2 pi v W), cos(2 pi v W)]
  at::Tensor args = v.reshape({-1, 1}) * w.unsqueeze(0) * (2.0 * M_PI);
  return at::cat({at::sin(args), at::cos(args)}, 1);
}

}  // namespace scoregen
