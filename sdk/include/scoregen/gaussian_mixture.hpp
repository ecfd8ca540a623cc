// An isotropic Gaussian mixture and its exact diffused density and score (the oracle network, its class
// posterior, toy data), with the one declaration of its weights / means / stds options.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/batch_random.hpp"
#include "scoregen/options.hpp"

namespace scoregen {

// The options of every plugin that takes a mixture (gaussian-mixture, mixture-posterior, mixture).
struct MixtureSettings {
  std::vector<double> weights;
  std::vector<std::vector<double>> means;
  std::vector<double> stds;
};
// Declares weights, means and stds on a settings struct derived from MixtureSettings; `required`: no defaults.
template <class S>
void declare_mixture(Declaration<S>& d, bool required) {
  OptionSpec& w = d(static_cast<std::vector<double> S::*>(&MixtureSettings::weights), "weights",
                    "K mixture weights (normalised)");
  OptionSpec& m = d(static_cast<std::vector<std::vector<double>> S::*>(&MixtureSettings::means), "means",
                    "K means of D numbers each");
  OptionSpec& s = d(static_cast<std::vector<double> S::*>(&MixtureSettings::stds), "stds",
                    "K isotropic standard deviations");
  w.above(0);
  s.at_least(0);
  if (required) w.required(), m.required(), s.required();
}

class SCOREGEN_API GaussianMixture {
 public:
  GaussianMixture(std::vector<double> weights, std::vector<std::vector<double>> means, std::vector<double> stds);
  // From a plugin's settings; an inconsistent mixture is an error at the `means` key of `o`.
  GaussianMixture(const MixtureSettings& s, const Options& o);

  std::int64_t components() const { return weights_.size(0); }
  std::int64_t dim() const { return means_.size(1); }
  // Exact draws from the mixture at t = 0, with their component labels.
  std::pair<at::Tensor, at::Tensor> sample(std::int64_t n, at::Generator gen) const;
  // The same, one per example of a counter-based batch draw.
  std::pair<at::Tensor, at::Tensor> sample(BatchRandom& rng) const;
  // Per-component log N(x; a mu_k, (a^2 s_k^2 + std^2) I) + log w_k, shape [B, K] (float64).
  // a, std: [B] kernel mean coefficient and std of the SDE at t (a = 1, std = 0 gives t = 0).
  at::Tensor joint_log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // log p_t(x), shape [B].
  at::Tensor log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // grad_x log p_t(x) = sum_k r_k (a mu_k - x) / v_k, same shape and dtype as x; only [B, K] intermediates.
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
  // x as [B, D] float64; a mismatch in D is an error.
  at::Tensor points(const at::Tensor& x) const;
  // The [B, K] quantities every density, score and posterior is made of, in one pass.
  struct Responsibilities {
    at::Tensor x, a, v, joint;  // x as [B, D] float64, a as [B, 1], v_k = a^2 s_k^2 + std^2, joint log-density
  };
  Responsibilities responsibilities(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const;
  // mu_k + s_k z for components k [n] and standard normals z [n, D].
  std::pair<at::Tensor, at::Tensor> place(const at::Tensor& k, const at::Tensor& z) const;
  at::Tensor weights_, log_weights_, means_, stds_;  // float64: [K], [K], [K, D], [K]
};

}  // namespace scoregen
