// Draws happen on the CPU generator and are then moved to the target device.
#include "scoregen/random.hpp"

#include <ATen/ATen.h>

namespace scoregen {

namespace {
at::TensorOptions on_cpu(const at::TensorOptions& o) { return o.device(at::kCPU); }
}  // namespace

at::Tensor randn_from(at::IntArrayRef shape, at::Generator& gen, const at::TensorOptions& options) {
  return at::randn(shape, gen, on_cpu(options)).to(options.device());
}
at::Tensor rand_from(at::IntArrayRef shape, at::Generator& gen, const at::TensorOptions& options) {
  return at::rand(shape, gen, on_cpu(options)).to(options.device());
}
at::Tensor randn_like_from(const at::Tensor& like, at::Generator& gen) { return randn_from(like.sizes(), gen, like.options()); }
at::Tensor rademacher_like_from(const at::Tensor& like, at::Generator& gen) {
  return (at::randint(0, 2, like.sizes(), gen, on_cpu(like.options())) * 2.0 - 1.0).to(like.device());
}

}  // namespace scoregen
