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

// A mean over subsets with its standard deviation (numpy.std, ddof 0, as torch-fidelity and StyleGAN report).
struct SubsetMean {
  double mean = 0, std = 0;
  std::int64_t subsets = 0, subset_size = 0;
};
// Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs", Eq. 4 with the kernel of Sec. 2.3):
// the unbiased MMD^2 between features x [n, F] and y [m, F] under k(a, b) = (a.b / F + 1)^3, on `subsets` pairs of
// random subsets of min(subset_size, n, m) rows each (drawn without replacement from `gen`).
SubsetMean kernel_inception_distance(const at::Tensor& x, const at::Tensor& y, std::int64_t subsets,
                                     std::int64_t subset_size, at::Generator gen);
// Inception Score (Salimans et al. 2016, "Improved techniques for training GANs", Sec. 4):
// exp(E_x KL(p(y|x) || p(y))) on each of `splits` consecutive parts of the class probabilities p [n, K] (part i:
// rows i n / splits .. (i + 1) n / splits, as StyleGAN's and torch-fidelity's code split them).
SubsetMean inception_score(const at::Tensor& p, std::int64_t splits);

}  // namespace scoregen::engine
