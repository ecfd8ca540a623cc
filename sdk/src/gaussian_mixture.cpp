// Exact diffused Gaussian mixture: p_t = sum_k w_k N(a mu_k, (a^2 s_k^2 + std^2) I).
#include "scoregen/gaussian_mixture.hpp"

#include <cmath>

#include <ATen/ATen.h>

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

std::pair<at::Tensor, at::Tensor> GaussianMixture::component_scores(const at::Tensor& x2, const at::Tensor& a,
                                                                    const at::Tensor& std) const {
  at::Tensor a2 = a.to(at::kDouble).reshape({-1, 1});
  at::Tensor s2 = std.to(at::kDouble).reshape({-1, 1});
  at::Tensor v = a2 * a2 * stds_.pow(2).unsqueeze(0) + s2 * s2;        // v_k = a^2 s_k^2 + std^2: [B, K]
  at::Tensor mu = a2.unsqueeze(2) * means_.unsqueeze(0);              // a mu_k: [B, K, D]
  return {(mu - x2.unsqueeze(1)) / v.unsqueeze(2), v};
}

at::Tensor GaussianMixture::joint_log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  at::Tensor x2 = x.to(at::kDouble).reshape({x.size(0), -1});
  if (x2.size(1) != dim())
    throw Error(fmt::format("the Gaussian mixture has {} dimensions, the data {}", dim(), x2.size(1)));
  auto [diff_over_v, v] = component_scores(x2, a, std);
  // log w_k - D/2 ln(2 pi v_k) - |x - a mu_k|^2 / (2 v_k)
  at::Tensor sq = (diff_over_v * diff_over_v).sum(2) * v * v;
  return weights_.log().unsqueeze(0) - 0.5 * static_cast<double>(dim()) * at::log(2.0 * M_PI * v) - sq / (2.0 * v);
}

at::Tensor GaussianMixture::log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  return at::logsumexp(joint_log_prob(x, a, std), 1);
}

at::Tensor GaussianMixture::posterior(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  return at::softmax(joint_log_prob(x, a, std), 1);
}

at::Tensor GaussianMixture::score(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
  // grad log p_t(x) = sum_k r_k (a mu_k - x) / v_k
  at::Tensor x2 = x.to(at::kDouble).reshape({x.size(0), -1});
  at::Tensor r = posterior(x, a, std);
  at::Tensor per = component_scores(x2, a, std).first;
  return (r.unsqueeze(2) * per).sum(1).reshape(x.sizes()).to(x.scalar_type());
}

at::Tensor GaussianMixture::grad_log_posterior(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std,
                                               const at::Tensor& y) const {
  // grad log p_t(y | x) = (a mu_y - x)/v_y - sum_k r_k (a mu_k - x)/v_k
  at::Tensor x2 = x.to(at::kDouble).reshape({x.size(0), -1});
  at::Tensor r = posterior(x, a, std);
  at::Tensor per = component_scores(x2, a, std).first;
  at::Tensor own = per.gather(1, y.to(at::kLong).reshape({-1, 1, 1}).expand({-1, 1, per.size(2)})).squeeze(1);
  return (own - (r.unsqueeze(2) * per).sum(1)).reshape(x.sizes()).to(x.scalar_type());
}

}  // namespace scoregen
