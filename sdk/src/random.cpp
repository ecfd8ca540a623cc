// Draws happen on the CPU generator and are then moved to the target device.
#include "scoregen/random.hpp"

#include <ATen/ATen.h>

namespace scoregen {

std::uint64_t splitmix64(std::uint64_t x) {
  // Steele, Lea, Flood 2014, splitmix64's finalizer
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

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
