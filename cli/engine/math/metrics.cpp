// Sliced Wasserstein and Frechet distances.
#include "engine/math/metrics.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace scoregen::engine {

double sliced_wasserstein(const at::Tensor& x, const at::Tensor& y, std::int64_t directions, at::Generator gen) {
  if (x.sizes() != y.sizes() || x.dim() != 2) throw Error("sliced_wasserstein needs two [N, D] sets of the same size");
  at::Tensor dirs = at::randn({x.size(1), directions}, gen, at::kDouble);
  dirs = dirs / dirs.norm(2, 0, true);
  // W1 in 1-D is the mean distance between sorted samples
  at::Tensor a = std::get<0>(at::sort(at::matmul(x.to(at::kDouble), dirs), 0));
  at::Tensor b = std::get<0>(at::sort(at::matmul(y.to(at::kDouble), dirs), 0));
  return (a - b).abs().mean().item<double>();
}

double frechet_distance(const at::Tensor& f1, const at::Tensor& f2) {
  if (f1.dim() != 2 || f2.dim() != 2 || f1.size(1) != f2.size(1) || f1.size(0) < 2 || f2.size(0) < 2)
    throw Error("frechet_distance needs two [N, F] feature sets with the same F and N >= 2");
  at::Tensor a = f1.to(at::kDouble), b = f2.to(at::kDouble);
  at::Tensor mu1 = a.mean(0), mu2 = b.mean(0);
  at::Tensor s1 = at::cov(a.t()), s2 = at::cov(b.t());
  auto [l1, v1] = at::linalg_eigh(s1);
  at::Tensor root1 = at::matmul(v1 * at::sqrt(l1.clamp_min(0)).unsqueeze(0), v1.t());
  // tr((S1^{1/2} S2 S1^{1/2})^{1/2}) from the eigenvalues of the symmetric PSD product
  at::Tensor cross = at::sqrt(at::linalg_eigvalsh(at::matmul(at::matmul(root1, s2), root1)).clamp_min(0)).sum();
  return ((mu1 - mu2).pow(2).sum() + at::trace(s1) + at::trace(s2) - 2 * cross).item<double>();
}

}  // namespace scoregen::engine
