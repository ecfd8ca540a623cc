// Variance-exploding SDE (score_sde_pytorch sde_lib.VESDE) and its discrete SMLD ladder.
#pragma once

#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class VeSde : public Sde {
 public:
  VeSde(const Options& o, const BuildContext& ctx);
  SdeFamily family() const override { return SdeFamily::VE; }
  std::int64_t N() const override { return n_; }
  at::Tensor drift(const at::Tensor& x, const at::Tensor& t) const override;
  at::Tensor diffusion(const at::Tensor& t) const override;
  at::Tensor mean_coeff(const at::Tensor& t) const override;
  at::Tensor marginal_std(const at::Tensor& t) const override;
  double prior_std() const override { return sigma_max_; }
  std::pair<at::Tensor, at::Tensor> discretize(const at::Tensor& x, const at::Tensor& t) const override;
  double sample_eps() const override { return 1e-5; }
  at::Tensor discrete_sigmas() const override;
  double sigma_min() const { return sigma_min_; }
  double sigma_max() const { return sigma_max_; }

 protected:
  VeSde(double sigma_min, double sigma_max, std::int64_t n);
  // Reads and checks sigma_min and sigma_max ("auto" must have been resolved from the data).
  void read_sigmas(const Options& o);
  double sigma_min_, sigma_max_;
  std::int64_t n_;
};

}  // namespace scoregen::plugins
