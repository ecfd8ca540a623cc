// Variance-exploding SDE (Song et al. 2021, eq. 9; as score_sde_pytorch sde_lib.VESDE) and its discrete SMLD ladder.
#pragma once

#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class VeSde : public Sde {
 public:
  struct Settings {
    double sigma_min = 0.01;
    RealOrAuto sigma_max{50.0, false};
    std::int64_t N = 1000;
  };
  static void declare(Declaration<Settings>& d);
  VeSde(const Settings& s, const Options& o, const BuildContext& ctx);

  std::int64_t N() const override { return n_; }
  at::Tensor drift(const at::Tensor& x, const at::Tensor& t) const override;
  at::Tensor diffusion(const at::Tensor& t) const override;
  at::Tensor mean_coeff(const at::Tensor& t) const override;
  at::Tensor marginal_std(const at::Tensor& t) const override;
  double prior_std() const override { return sigma_max_; }
  std::pair<at::Tensor, at::Tensor> discretize(const at::Tensor& x, const at::Tensor& t) const override;
  double sample_eps() const override { return 1e-5; }
  at::Tensor discrete_sigmas() const override;
  NoiseConditioning noise_conditioning() const override { return NoiseConditioning::LogSigma; }
  bool has_ancestral_step() const override { return true; }
  AncestralStep ancestral_step(const at::Tensor& x, const at::Tensor& score, const at::Tensor& t) const override;

 protected:
  // sigma_max must be greater than sigma_min, and "auto" resolved from the data by the host.
  VeSde(double sigma_min, const RealOrAuto& sigma_max, std::int64_t n, const Options& o);
  double sigma_min_, sigma_max_;
  std::int64_t n_;
};

}  // namespace scoregen::plugins
