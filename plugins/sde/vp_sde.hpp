// Variance-preserving SDE (Song et al. 2021, eq. 11; as score_sde_pytorch sde_lib.VPSDE) and the discrete DDPM chain.
#pragma once

#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class VpSde : public Sde {
 public:
  struct Settings {
    double beta_min = 0.1, beta_max = 20.0;
    std::int64_t N = 1000;
  };
  static void declare(Declaration<Settings>& d);
  VpSde(const Settings& s, const Options& o, const BuildContext& ctx);

  std::int64_t N() const override { return n_; }
  at::Tensor drift(const at::Tensor& x, const at::Tensor& t) const override;
  at::Tensor diffusion(const at::Tensor& t) const override;
  at::Tensor mean_coeff(const at::Tensor& t) const override;
  at::Tensor marginal_std(const at::Tensor& t) const override;
  double prior_std() const override { return 1.0; }
  std::pair<at::Tensor, at::Tensor> discretize(const at::Tensor& x, const at::Tensor& t) const override;
  double sample_eps() const override { return 1e-3; }
  at::Tensor discrete_betas() const override;
  at::Tensor langevin_alpha(const at::Tensor& t) const override;
  bool has_ancestral_step() const override { return true; }
  AncestralStep ancestral_step(const at::Tensor& x, const at::Tensor& score, const at::Tensor& t) const override;

 protected:
  // The discrete betas beta_max / N must stay below 1 for the chain's steps.
  void require_discrete_betas_below_one(const char* what) const;
  double beta_min_, beta_max_;
  std::int64_t n_;
};

}  // namespace scoregen::plugins
