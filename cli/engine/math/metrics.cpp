// Sliced Wasserstein and Frechet distances, the kernel Inception distance and the Inception score.
#include "engine/math/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/math/fid_statistics.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"

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
  return frechet_distance(statistics_of(f1), statistics_of(f2), "frechet_distance");
}

namespace {
SubsetMean mean_and_std(const std::vector<double>& values, std::int64_t subset_size) {
  at::Tensor v = at::tensor(values, at::kDouble);
  return {v.mean().item<double>(), v.std(false).item<double>(), static_cast<std::int64_t>(values.size()), subset_size};
}
}  // namespace

SubsetMean kernel_inception_distance(const at::Tensor& x, const at::Tensor& y, std::int64_t subsets,
                                     std::int64_t subset_size, at::Generator gen) {
  if (x.dim() != 2 || y.dim() != 2 || x.size(1) != y.size(1))
    throw Error("kernel_inception_distance needs two [n, F] feature sets with the same F");
  const std::int64_t m = std::min({subset_size, x.size(0), y.size(0)});
  if (m < 2 || subsets < 1) throw Error("the kernel Inception distance needs subsets of 2 or more features");
  const double f = static_cast<double>(x.size(1)), pairs = static_cast<double>(m * (m - 1));
  at::Tensor a = x.to(at::kDouble), b = y.to(at::kDouble);
  // Binkowski et al. 2018, Sec. 2.3: the cubic polynomial kernel k(a, b) = (a.b / F + 1)^3
  auto kernel = [f](const at::Tensor& p, const at::Tensor& q) { return (at::matmul(p, q.t()) / f + 1).pow(3); };
  std::vector<double> mmd;
  for (std::int64_t s = 0; s < subsets; ++s) {
    throw_if_interrupted();  // 100 subsets of 1000 x 2048 features take seconds in float64
    at::Tensor xs = a.index_select(0, at::randperm(a.size(0), gen, at::kLong).narrow(0, 0, m));
    at::Tensor ys = b.index_select(0, at::randperm(b.size(0), gen, at::kLong).narrow(0, 0, m));
    at::Tensor kxx = kernel(xs, xs), kyy = kernel(ys, ys);
    // Binkowski et al. 2018, Eq. 4: the unbiased MMD^2 (diagonals left out of the within-set means)
    mmd.push_back(((kxx.sum() - kxx.trace() + kyy.sum() - kyy.trace()) / pairs - 2 * kernel(xs, ys).mean()).item<double>());
  }
  return mean_and_std(mmd, m);
}

SubsetMean inception_score(const at::Tensor& p, std::int64_t splits) {
  if (p.dim() != 2 || splits < 1 || p.size(0) < splits)
    throw Error(fmt::format("the Inception score needs class probabilities of at least {} samples (one per split)", splits));
  at::Tensor q = p.to(at::kDouble);
  const std::int64_t n = q.size(0);
  std::vector<double> scores;
  for (std::int64_t i = 0; i < splits; ++i) {
    at::Tensor part = q.narrow(0, i * n / splits, (i + 1) * n / splits - i * n / splits);
    // Salimans et al. 2016, Sec. 4: exp(E_x KL(p(y|x) || p(y))), p(y) the part's mean
    at::Tensor kl = at::xlogy(part, part) - part * at::log(part.mean(0, true));  // 0 log 0 = 0
    scores.push_back(std::exp(kl.sum(1).mean().item<double>()));
  }
  return mean_and_std(scores, n / splits);
}

}  // namespace scoregen::engine
