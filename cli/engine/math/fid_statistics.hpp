// The Gaussian statistics of a feature set (mean, covariance) that the Frechet Inception Distance compares
// (Heusel et al. 2017, "GANs trained by a two time-scale update rule...", Eq. 6), accumulated batch by batch, and
// stored as pytorch-fid, clean-fid and EDM store them: an .npz with float64 `mu` [F] and `sigma` [F, F].
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace scoregen::engine {

struct FidStatistics {
  at::Tensor mu;     // float64 [F]
  at::Tensor sigma;  // float64 [F, F], the unbiased (N - 1) covariance, as numpy.cov
  std::int64_t count = 0;  // features they summarize (0: unknown, as in a file from another tool)
};

// Mean and covariance of features [n, F] given in batches, in float64 around the first batch's mean (no
// cancellation of large means), holding F x F doubles rather than all features.
class FeatureMoments {
 public:
  void add(const at::Tensor& features);
  std::int64_t count() const { return count_; }
  FidStatistics statistics() const;  // needs 2 or more features

 private:
  at::Tensor shift_, sum_, outer_;
  std::int64_t count_ = 0;
};

// The statistics of features [n, F] held as float32, added in chunks (no float64 copy of them all).
FidStatistics statistics_of(const at::Tensor& features);

// Frechet distance between the Gaussians N(mu1, S1) and N(mu2, S2) (Dowson & Landau 1982):
// |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}), in float64 from the eigenvalues of the symmetric
// product (the same trace as pytorch-fid's sqrtm(S1 S2), without its imaginary residue). A product with an
// eigenvalue below -1e-6 of its largest is not of two covariances: an error naming `what`.
double frechet_distance(const FidStatistics& a, const FidStatistics& b, const std::string& what);

// An .npz of float64 `mu` and `sigma` (the format of pytorch-fid's --save-stats, clean-fid and EDM's fid.py ref);
// errors name `path`: a missing array, shapes that are not [F] and [F, F], a sigma that is not symmetric, or
// values that are not finite.
FidStatistics load_fid_statistics(const std::string& path);
void save_fid_statistics(const FidStatistics& s, const std::string& path);

}  // namespace scoregen::engine
