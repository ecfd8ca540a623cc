// Inpainting and colorization as projections applied after every sampler update (Song et al. 2021, app. I.2-I.3):
// known parts are replaced by the data noised to the current t.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

// Colorization's orthonormal decoupling M (Song et al. 2021, app. I.3): decouple(x) = x M per pixel, channel 0 is grey.
at::Tensor colorization_matrix();
at::Tensor decouple(const at::Tensor& x);  // [B, 3, ...] -> [B, 3, ...] (images [B, 3, H, W], or points [B, 3])
at::Tensor couple(const at::Tensor& x);    // the inverse, x M^T

// A projection hook: in the space given by `to_space`/`from_space` (identity for inpainting, the decoupled
// colour space for colorization), x <- x (1 - m) + (a(t) y + s(t) z) m with mask m (1 = known).
SampleHooks projection_hooks(const Sde& sde, at::Tensor known, at::Tensor mask, bool colorize,
                                          at::Generator gen);
// The final answer: unknown parts from the sampler's result, known parts exactly the data.
at::Tensor combine_known(const at::Tensor& result, const at::Tensor& known, const at::Tensor& mask,
                                      bool colorize);

}  // namespace scoregen::engine
