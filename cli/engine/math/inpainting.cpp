// Projections for inpainting and colorization (score_sde controllable_generation.get_pc_inpainter / colorizer).
#include "engine/math/inpainting.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

at::Tensor colorization_matrix() {
  // M = [[0.5774, -0.8165, 0], [0.5774, 0.4082, 0.7071], [0.5774, 0.4082, -0.7071]] (exact values)
  const double a = 1 / std::sqrt(3.0), b = std::sqrt(2.0 / 3.0), c = 1 / std::sqrt(6.0), d = 1 / std::sqrt(2.0);
  return at::tensor({a, -b, 0.0, a, c, d, a, c, -d}, at::kDouble).reshape({3, 3});
}

at::Tensor decouple(const at::Tensor& x) {
  // per pixel: (r, g, b) M; channels are dimension 1 of [B, 3, ...]
  at::Tensor m = colorization_matrix().to(x.options());
  return at::einsum("bi...,ij->bj...", {x, m});
}

at::Tensor couple(const at::Tensor& x) {
  at::Tensor m = colorization_matrix().to(x.options());
  return at::einsum("bi...,ji->bj...", {x, m});
}

SampleHooks projection_hooks(const Sde& sde, at::Tensor known, at::Tensor mask, bool colorize, at::Generator gen) {
  SampleHooks hooks;
  const Sde* sp = &sde;
  hooks.project = [sp, known, mask, colorize, gen](const at::Tensor& x, const at::Tensor& t) mutable {
    at::Tensor y = known.expand_as(x);
    at::Tensor a = batch_view(sp->mean_coeff(t), x), s = batch_view(sp->marginal_std(t), x);
    // the known part noised to t: a(t) y + s(t) z
    at::Tensor noised = a * y + s * randn_like_from(x, gen);
    at::Tensor m = mask.expand_as(x);
    if (!colorize) return x * (1 - m) + noised * m;
    at::Tensor xd = decouple(x), nd = decouple(noised);
    return couple(xd * (1 - m) + nd * m);
  };
  return hooks;
}

at::Tensor combine_known(const at::Tensor& result, const at::Tensor& known, const at::Tensor& mask, bool colorize) {
  at::Tensor y = known.expand_as(result), m = mask.expand_as(result);
  if (!colorize) return result * (1 - m) + y * m;
  return couple(decouple(result) * (1 - m) + decouple(y) * m);
}

}  // namespace scoregen::engine
