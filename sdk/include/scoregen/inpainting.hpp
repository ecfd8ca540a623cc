// Inpainting and colorization as projections applied after every sampler update (seed 001 app. I.2-I.3;
// score_sde controllable_generation.py): known parts are replaced by the data noised to the current t.
#pragma once

#include <ATen/ATen.h>

#include "scoregen/sampler.hpp"

namespace scoregen {

// Colorization's orthonormal decoupling M (REFERENCE.md): decouple(x) = x M per pixel, channel 0 is grey.
SCOREGEN_API at::Tensor colorization_matrix();
SCOREGEN_API at::Tensor decouple(const at::Tensor& x);  // [B, 3, H, W] -> [B, 3, H, W]
SCOREGEN_API at::Tensor couple(const at::Tensor& x);    // the inverse, x M^T

// A projection hook: in the space given by `to_space`/`from_space` (identity for inpainting, the decoupled
// colour space for colorization), x <- x (1 - m) + (a(t) y + s(t) z) m with mask m (1 = known).
SCOREGEN_API SampleHooks projection_hooks(const Sde& sde, at::Tensor known, at::Tensor mask, bool colorize,
                                          at::Generator gen);
// The final answer: unknown parts from the sampler's result, known parts exactly the data.
SCOREGEN_API at::Tensor combine_known(const at::Tensor& result, const at::Tensor& known, const at::Tensor& mask,
                                      bool colorize);

}  // namespace scoregen
