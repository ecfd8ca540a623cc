// Variance-preserving SDE (score_sde_pytorch sde_lib.VPSDE) and the discrete DDPM chain.
#pragma once

#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class VpSde : public Sde {
 public:
  VpSde(const Options& o, const BuildContext& ctx);
  SdeFamily family() const override { return SdeFamily::VP; }
  std::int64_t N() const override { return n_; }
  at::Tensor drift(const at::Tensor& x, const at::Tensor& t) const override;
  at::Tensor diffusion(const at::Tensor& t) const override;
  at::Tensor mean_coeff(const at::Tensor& t) const override;
  at::Tensor marginal_std(const at::Tensor& t) const override;
  double prior_std() const override { return 1.0; }
  std::pair<at::Tensor, at::Tensor> discretize(const at::Tensor& x, const at::Tensor& t) const override;
  double sample_eps() const override { return 1e-3; }
  at::Tensor discrete_betas() const override;

 protected:
  double beta_min_, beta_max_;
  std::int64_t n_;
};

// Reads and checks beta_min, beta_max and N.
void read_beta_options(const Options& o, double& beta_min, double& beta_max, std::int64_t& n);

}  // namespace scoregen::plugins
