// Seeded draws from explicit CPU generators, moved to the tensor's device (same seed, same bits on any device).
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"

namespace scoregen {

// A 64-bit mixer (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number generators"): turns seeds and
// stream numbers into independent generator states and keys.
SCOREGEN_API std::uint64_t splitmix64(std::uint64_t x);

SCOREGEN_API at::Tensor randn_like_from(const at::Tensor& like, at::Generator& gen);
SCOREGEN_API at::Tensor randn_from(at::IntArrayRef shape, at::Generator& gen, const at::TensorOptions& options);
SCOREGEN_API at::Tensor rand_from(at::IntArrayRef shape, at::Generator& gen, const at::TensorOptions& options);
// Rademacher +-1 entries.
SCOREGEN_API at::Tensor rademacher_like_from(const at::Tensor& like, at::Generator& gen);

}  // namespace scoregen
