// An isotropic Gaussian mixture given by its weights, means [K, D] and stds: the pipeline text of its oracle
// network and guidance, exact answers about it, and a miscalibrated classifier of it (shared by the SMC tests).
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scoregen/gaussian_mixture.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/sde.hpp"

namespace test {

struct Mixture {
  std::vector<double> weights;
  std::vector<std::vector<double>> means;
  std::vector<double> stds;

  // The keys of its [network] gaussian-mixture and [guidance] mixture-posterior tables.
  std::string toml() const {
    std::string m;
    for (const auto& row : means) m += fmt::format("{}[{}]", m.empty() ? "" : ", ", fmt::join(row, ", "));
    return fmt::format("weights = [{}]\nmeans = [{}]\nstds = [{}]\n", fmt::join(weights, ", "), m, fmt::join(stds, ", "));
  }
  scoregen::GaussianMixture oracle() const { return {weights, means, stds}; }
  // Exact conditional component weights given coordinate `d` of the (rotated) point equals c.
  std::vector<double> conditional_weights(const std::vector<std::vector<double>>& centres, std::size_t d, double c) const {
    std::vector<double> w(weights.size());
    double total = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double z = (c - centres[k][d]) / stds[k];
      total += w[k] = weights[k] * std::exp(-0.5 * z * z) / stds[k];
    }
    for (double& v : w) v /= total;
    return w;
  }
};

// A mixture's class posterior with its logits multiplied by 1 + c t / T: overconfident while noisy (twice as sure at
// t = T for c = 1), exact on clean data (what a classifier trained with too little noise augmentation does).
class OverconfidentPosterior : public scoregen::Guidance {
 public:
  OverconfidentPosterior(const Mixture& mix, std::shared_ptr<scoregen::Sde> sde, double c)
      : sde_(std::move(sde)), c_(c), oracle_(mix.oracle()), stds_(at::tensor(mix.stds, at::kDouble)) {
    std::vector<double> flat;
    for (const auto& row : mix.means) flat.insert(flat.end(), row.begin(), row.end());
    means_ = at::tensor(flat, at::kDouble).reshape({static_cast<std::int64_t>(mix.means.size()), -1});
  }
  at::Tensor logits(const at::Tensor& x, const at::Tensor& t) override {
    return (temperature(t).unsqueeze(1) * joint(x, t)).to(x.scalar_type());
  }
  at::Tensor grad_log_prob(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    // grad_x log softmax(tau J)_y = tau (grad J_y - sum_k softmax(tau J)_k grad J_k), grad J_k = (a mu_k - x) / v_k
    at::Tensor a = sde_->mean_coeff(t).to(at::kDouble), s = sde_->marginal_std(t).to(at::kDouble);
    at::Tensor tau = temperature(t);
    at::Tensor v = a.pow(2).unsqueeze(1) * stds_.pow(2).unsqueeze(0) + s.pow(2).unsqueeze(1);
    at::Tensor g = (a.reshape({-1, 1, 1}) * means_.unsqueeze(0) - x.to(at::kDouble).unsqueeze(1)) / v.unsqueeze(2);
    at::Tensor p = at::softmax(tau.unsqueeze(1) * joint(x, t), 1);
    at::Tensor gy = g.gather(1, y.reshape({-1, 1, 1}).expand({-1, 1, g.size(2)})).squeeze(1);
    return (tau.unsqueeze(1) * (gy - (p.unsqueeze(2) * g).sum(1))).to(x.scalar_type());
  }
  std::int64_t num_classes() const override { return means_.size(0); }

 private:
  at::Tensor temperature(const at::Tensor& t) const { return 1.0 + c_ * t.to(at::kDouble) / sde_->T(); }
  at::Tensor joint(const at::Tensor& x, const at::Tensor& t) const {
    return oracle_.joint_log_prob(x.to(at::kDouble), sde_->mean_coeff(t).to(at::kDouble),
                                  sde_->marginal_std(t).to(at::kDouble));
  }
  std::shared_ptr<scoregen::Sde> sde_;
  double c_;
  scoregen::GaussianMixture oracle_;
  at::Tensor means_, stds_;
};

}  // namespace test
