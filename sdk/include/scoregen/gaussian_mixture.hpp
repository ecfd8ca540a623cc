// An isotropic Gaussian mixture and its exact diffused density and score (the oracle, its posterior, toy data).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "scoregen/options.hpp"

namespace scoregen {

class SCOREGEN_API GaussianMixture {
 public:
  // Reads and checks `weights` (K), `means` (K x D) and `stds` (K) from a plugin's options.
  explicit GaussianMixture(const Options& o);
  GaussianMixture(std::vector<double> weights, std::vector<std::vector<double>> means, std::vector<double> stds);

  std::int64_t components() const { return weights_.size(0); }
  std::int64_t dim() const { return means_.size(1); }
  // Exact draws from the mixture at t = 0, with their component labels.
  std::pair<at::Tensor, at::Tensor> sample(std::int64_t n, at::Generator gen) const;
  // Per-component log N(x; a mu_k, (a^2 s_k^2 + std^2) I) + log w_k, shape [B, K] (float64).
  // a, std: [B] kernel mean coefficient and std of the SDE at t (a = 1, std = 0 gives t = 0).
  at::Tensor joint_log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // log p_t(x), shape [B].
  at::Tensor log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // grad_x log p_t(x) = sum_k r_k (a mu_k - x) / v_k, same shape and dtype as x.
  at::Tensor score(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // Posterior class probabilities r_k = p_t(k | x), shape [B, K].
  at::Tensor posterior(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // grad_x log p_t(y | x) for labels y [B], same shape as x.
  at::Tensor grad_log_posterior(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std,
                                const at::Tensor& y) const;

  const at::Tensor& weights() const { return weights_; }
  const at::Tensor& means() const { return means_; }
  const at::Tensor& stds() const { return stds_; }

 private:
  // (a mu_k - x) / v_k for every component: [B, K, D], and v_k: [B, K].
  std::pair<at::Tensor, at::Tensor> component_scores(const at::Tensor& x2, const at::Tensor& a, const at::Tensor& std) const;
  at::Tensor weights_, means_, stds_;  // float64: [K], [K, D], [K]
};

}  // namespace scoregen
