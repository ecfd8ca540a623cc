// Feature statistics, their Frechet distance and their .npz files.
#include "engine/math/fid_statistics.hpp"

#include <algorithm>
#include <map>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/io/npz_file.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

void FeatureMoments::add(const at::Tensor& features) {
  if (features.dim() != 2 || (shift_.defined() && features.size(1) != shift_.size(0)))
    throw Error("feature statistics need [n, F] features of one width F");
  if (features.size(0) == 0) return;
  at::Tensor f = features.to(at::kCPU, at::kDouble);
  if (!shift_.defined()) {
    shift_ = f.mean(0);
    sum_ = at::zeros_like(shift_);
    outer_ = at::zeros({f.size(1), f.size(1)}, f.options());
  }
  at::Tensor d = f - shift_;
  sum_ += d.sum(0);
  outer_ += at::matmul(d.t(), d);
  count_ += f.size(0);
}

FidStatistics FeatureMoments::statistics() const {
  if (count_ < 2) throw Error("feature statistics need 2 or more features");
  const double n = static_cast<double>(count_);
  at::Tensor mean_d = sum_ / n;
  // sum (x - mu)(x - mu)^T = sum d d^T - n mean_d mean_d^T, with d = x - shift
  at::Tensor sigma = (outer_ - n * at::outer(mean_d, mean_d)) / (n - 1);
  return {shift_ + mean_d, (sigma + sigma.t()) / 2, count_};
}

FidStatistics statistics_of(const at::Tensor& features) {
  FeatureMoments m;
  for (std::int64_t i = 0; i < features.size(0); i += 1024)
    m.add(features.narrow(0, i, std::min<std::int64_t>(1024, features.size(0) - i)));
  return m.statistics();
}

double frechet_distance(const FidStatistics& a, const FidStatistics& b, const std::string& what) {
  if (a.mu.size(0) != b.mu.size(0))
    throw Error(fmt::format("{}: features of {} and of {} dimensions cannot be compared", what, a.mu.size(0), b.mu.size(0)));
  auto [l1, v1] = at::linalg_eigh(a.sigma);
  at::Tensor root1 = at::matmul(v1 * at::sqrt(l1.clamp_min(0)).unsqueeze(0), v1.t());
  at::Tensor product = at::matmul(at::matmul(root1, b.sigma), root1);
  at::Tensor eigen = at::linalg_eigvalsh((product + product.t()) / 2);
  const double largest = eigen.abs().max().item<double>(), lowest = eigen.min().item<double>();
  if (lowest < -1e-6 * largest)
    throw Error(fmt::format("{}: a covariance is not positive semi-definite (eigenvalue {:.3g} of S1^1/2 S2 S1^1/2)", what,
                            lowest));
  // tr((S1^{1/2} S2 S1^{1/2})^{1/2}): rounding's tiny negative eigenvalues count as 0
  const double cross = at::sqrt(eigen.clamp_min(0)).sum().item<double>();
  return ((a.mu - b.mu).pow(2).sum() + at::trace(a.sigma) + at::trace(b.sigma)).item<double>() - 2 * cross;
}

FidStatistics load_fid_statistics(const std::string& path) {
  std::map<std::string, at::Tensor> arrays = load_npz(path);
  for (const char* key : {"mu", "sigma"})
    if (!arrays.count(key)) throw Error(fmt::format("{}: has no '{}' array (Frechet statistics files hold mu and sigma)", path, key));
  FidStatistics s{arrays["mu"].to(at::kDouble), arrays["sigma"].to(at::kDouble), 0};
  const std::int64_t f = s.mu.dim() == 1 ? s.mu.size(0) : -1;
  if (f < 1 || s.sigma.sizes() != at::IntArrayRef({f, f}))
    throw Error(fmt::format("{}: mu of shape [{}] and sigma of shape [{}] are not [F] and [F, F]", path,
                            fmt::join(s.mu.sizes(), ", "), fmt::join(s.sigma.sizes(), ", ")));
  if (!at::isfinite(s.mu).all().item<bool>() || !at::isfinite(s.sigma).all().item<bool>())
    throw Error(fmt::format("{}: mu or sigma holds values that are not finite", path));
  if (!at::allclose(s.sigma, s.sigma.t(), 1e-6, 1e-9))
    throw Error(fmt::format("{}: sigma is not symmetric (not a covariance)", path));
  return s;
}

void save_fid_statistics(const FidStatistics& s, const std::string& path) {
  save_npz(path, {{"mu", s.mu.to(at::kDouble)}, {"sigma", s.sigma.to(at::kDouble)}});
}

}  // namespace scoregen::engine
