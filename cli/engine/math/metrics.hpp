// Sample-quality metrics shared by tests, benchmarks and `scoregen eval`.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace scoregen::engine {

// Sliced Wasserstein-1 distance between equally many points x, y [N, D] over `directions` random unit
// directions: the mean over directions of the mean |sorted projections of x - sorted projections of y|.
double sliced_wasserstein(const at::Tensor& x, const at::Tensor& y, std::int64_t directions, at::Generator gen);
// Frechet distance between Gaussians fitted to two feature sets [N, F]:
// |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}).
double frechet_distance(const at::Tensor& f1, const at::Tensor& f2);

}  // namespace scoregen::engine
