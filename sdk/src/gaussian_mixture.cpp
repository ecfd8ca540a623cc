// Exact diffused Gaussian mixture: p_t = sum_k w_k N(a mu_k, (a^2 s_k^2 + std^2) I).
#include "scoregen/gaussian_mixture.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace scoregen {

GaussianMixture::GaussianMixture(std::vector<double> weights, std::vector<std::vector<double>> means,
                                 std::vector<double> stds) {
  const auto k = static_cast<std::int64_t>(weights.size());
  if (k == 0) throw Error("a Gaussian mixture needs at least one component");
  if (means.size() != weights.size() || stds.size() != weights.size())
    throw Error(fmt::format("weights, means and stds must have one entry per component ({} weights, {} means, {} stds)",
                            weights.size(), means.size(), stds.size()));
  const auto d = static_cast<std::int64_t>(means[0].size());
  std::vector<double> flat;
  for (const auto& m : means) {
    if (static_cast<std::int64_t>(m.size()) != d || d == 0)
      throw Error("every mean must have the same, non-zero number of dimensions");
    flat.insert(flat.end(), m.begin(), m.end());
  }
  for (double w : weights)
    if (!(w > 0)) throw Error("mixture weights must be > 0");
  for (double s : stds)
    if (!(s >= 0)) throw Error("mixture stds must be >= 0");
  auto f64 = at::TensorOptions().dtype(at::kDouble);
  weights_ = at::tensor(weights, f64);
  weights_ = weights_ / weights_.sum();
  log_weights_ = weights_.log();
  means_ = at::tensor(flat, f64).reshape({k, d});
  stds_ = at::tensor(stds, f64);
}

namespace {
GaussianMixture checked(const MixtureSettings& s, const Options& o) {
  try {
    return GaussianMixture(s.weights, s.means, s.stds);
  } catch (const Error& e) {
    o.fail("means", e.what());
  }
}
}  // namespace

GaussianMixture::GaussianMixture(const MixtureSettings& s, const Options& o) : GaussianMixture(checked(s, o)) {}

std::pair<at::Tensor, at::Tensor> GaussianMixture::place(const at::Tensor& k, const at::Tensor& z) const {
  // x = mu_k + s_k z
  at::Tensor x = means_.index_select(0, k) + stds_.index_select(0, k).unsqueeze(1) * z;
  return {x.to(at::kFloat), k};
}

std::pair<at::Tensor, at::Tensor> GaussianMixture::sample(std::int64_t n, at::Generator gen) const {
  at::Tensor k = at::multinomial(weights_, n, true, gen);
  return place(k, at::randn({n, dim()}, gen, at::TensorOptions().dtype(at::kDouble)));
}

std::pair<at::Tensor, at::Tensor> GaussianMixture::sample(BatchRandom& rng) const {
  at::Tensor k = rng.categorical(weights_);
  return place(k, rng.normal({dim()}, at::kDouble));
}

at::Tensor GaussianMixture::points(const at::Tensor& x) const {
  at::Tensor x2 = x.to(at::kDouble).reshape({x.size(0), -1});
  if (x2.size(1) != dim())
    throw Error(fmt::format("the Gaussian mixture has {} dimensions, the data {}", dim(), x2.size(1)));
  return x2;
}

GaussianMixture::Responsibilities GaussianMixture::responsibilities(const at::Tensor& x, const at::Tensor& a,
                                                                    const at::Tensor& std) const {
  at::Tensor x2 = points(x);
  at::Tensor a2 = a.to(at::kDouble).reshape({-1, 1}), s2 = std.to(at::kDouble).reshape({-1, 1});
  at::Tensor v = at::addcmul(s2 * s2, a2 * a2, stds_.square().unsqueeze(0));  // v_k = a^2 s_k^2 + std^2: [B, K]
  // |x - a mu_k|^2 = |x|^2 - 2 a x.mu_k + a^2 |mu_k|^2, all [B, K]: no [B, K, D] tensor is formed
  at::Tensor sq = (x2.square().sum(1, true) + a2 * a2 * means_.square().sum(1).unsqueeze(0) -
                   2.0 * a2 * at::mm(x2, means_.t())).clamp_min_(0);
  // log w_k - D/2 ln(2 pi v_k) - |x - a mu_k|^2 / (2 v_k)
  at::Tensor joint = log_weights_.unsqueeze(0) - 0.5 * static_cast<double>(dim()) * at::log(2.0 * M_PI * v) - sq / (2.0 * v);
  return {std::move(x2), std::move(a2), std::move(v), std::move(joint)};
}

at::Tensor GaussianMixture::joint_log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  return responsibilities(x, a, std).joint;
}

at::Tensor GaussianMixture::log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  return at::logsumexp(joint_log_prob(x, a, std), 1);
}

at::Tensor GaussianMixture::posterior(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  return at::softmax(joint_log_prob(x, a, std), 1);
}

namespace {

// grad log p_t(x) for float64 CPU data in one pass per point: K log-densities, their softmax and the weighted sum of
// (a mu_k - x) / v_k, nothing stored but the point's K values.
void score_cpu(const double* x, const double* a, const double* sd, std::int64_t a_step, std::int64_t n, std::int64_t d,
               const double* log_w, const double* mu, const double* s2, std::int64_t k, double* out) {
  at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
    const auto kk = static_cast<std::size_t>(k);
    std::vector<double> joint(kk), v(kk), norm(kk), amu(static_cast<std::size_t>(k * d));
    double a_prev = NAN, s_prev = NAN;
    for (std::int64_t b = begin; b < end; ++b) {
      const double* xb = x + b * d;
      const double ab = a[b * a_step], sb = sd[b * a_step];
      if (ab != a_prev || sb != s_prev) {  // a batch at one time t shares these: computed once
        for (std::int64_t j = 0; j < k; ++j) {
          v[j] = ab * ab * s2[j] + sb * sb;  // v_k = a^2 s_k^2 + std^2
          norm[j] = log_w[j] - 0.5 * static_cast<double>(d) * std::log(2.0 * M_PI * v[j]);
          for (std::int64_t i = 0; i < d; ++i) amu[j * d + i] = ab * mu[j * d + i];
        }
        a_prev = ab, s_prev = sb;
      }
      double top = -INFINITY;
      for (std::int64_t j = 0; j < k; ++j) {
        double sq = 0;
        for (std::int64_t i = 0; i < d; ++i) sq += (xb[i] - amu[j * d + i]) * (xb[i] - amu[j * d + i]);
        // log w_k - D/2 ln(2 pi v_k) - |x - a mu_k|^2 / (2 v_k)
        joint[j] = norm[j] - sq / (2.0 * v[j]);
        top = std::max(top, joint[j]);
      }
      double total = 0;
      for (std::int64_t j = 0; j < k; ++j) total += (joint[j] = std::exp(joint[j] - top));
      double* ob = out + b * d;
      for (std::int64_t i = 0; i < d; ++i) ob[i] = 0;
      // sum_k r_k (a mu_k - x) / v_k
      for (std::int64_t j = 0; j < k; ++j) {
        const double w = joint[j] / (total * v[j]);
        for (std::int64_t i = 0; i < d; ++i) ob[i] += w * (amu[j * d + i] - xb[i]);
      }
    }
  });
}

}  // namespace

at::Tensor GaussianMixture::score(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  // the one-pass loop on the CPU; the tensor form where autograd must see the score (likelihood divergences)
  if (x.is_cpu() && !(at::GradMode::is_enabled() && (x.requires_grad() || a.requires_grad() || std.requires_grad()))) {
    at::Tensor x2 = points(x).contiguous();
    at::Tensor a2 = a.to(at::kDouble).reshape({-1}).contiguous(), s2 = std.to(at::kDouble).reshape({-1}).contiguous();
    if (a2.numel() != s2.numel() || (a2.numel() != 1 && a2.numel() != x2.size(0)))
      throw Error("the Gaussian mixture's a and std need one value, or one per example");
    at::Tensor out = at::empty_like(x2);
    at::Tensor var = stds_.square().contiguous();
    score_cpu(x2.data_ptr<double>(), a2.data_ptr<double>(), s2.data_ptr<double>(), a2.numel() == 1 ? 0 : 1, x2.size(0),
              dim(), log_weights_.data_ptr<double>(), means_.data_ptr<double>(), var.data_ptr<double>(), components(),
              out.data_ptr<double>());
    return out.reshape(x.sizes()).to(x.scalar_type());
  }
  Responsibilities q = responsibilities(x, a, std);
  at::Tensor r_over_v = at::softmax(q.joint, 1) / q.v;  // r_k / v_k: [B, K]
  // grad log p_t(x) = sum_k r_k (a mu_k - x) / v_k = a (r/v) mu - x sum_k r_k / v_k
  at::Tensor g = q.a * at::mm(r_over_v, means_) - q.x * r_over_v.sum(1, true);
  return g.reshape(x.sizes()).to(x.scalar_type());
}

at::Tensor GaussianMixture::grad_log_posterior(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std,
                                               const at::Tensor& y) const {
  Responsibilities q = responsibilities(x, a, std);
  // grad log p_t(y | x) = (a mu_y - x)/v_y - sum_k r_k (a mu_k - x)/v_k, with the one-hot of y in place of r
  at::Tensor w = at::one_hot(y.to(at::kLong).reshape({-1}), components()).to(at::kDouble) - at::softmax(q.joint, 1);
  at::Tensor w_over_v = w / q.v;
  at::Tensor g = q.a * at::mm(w_over_v, means_) - q.x * w_over_v.sum(1, true);
  return g.reshape(x.sizes()).to(x.scalar_type());
}

}  // namespace scoregen
