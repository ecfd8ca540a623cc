// The gaussian-mixture oracle's cost: its score of 16384 2-D points (six modes) per evaluation, median of 50,
// against the per-component formulation it replaced ([B, K, D] differences, posterior computed apart), which is
// kept here as the reference: both are checked to agree before they are timed.
#include <algorithm>
#include <chrono>
#include <functional>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "timing.hpp"

#include "scoregen/gaussian_mixture.hpp"

namespace {

// The previous formulation: (a mu_k - x) / v_k for every component [B, K, D], the posterior from a second pass.
at::Tensor score_per_component(const scoregen::GaussianMixture& m, const at::Tensor& x, const at::Tensor& a,
                               const at::Tensor& std) {
  at::Tensor x2 = x.to(at::kDouble), a2 = a.reshape({-1, 1}), s2 = std.reshape({-1, 1});
  at::Tensor v = a2 * a2 * m.stds().pow(2).unsqueeze(0) + s2 * s2;
  at::Tensor per = (a2.unsqueeze(2) * m.means().unsqueeze(0) - x2.unsqueeze(1)) / v.unsqueeze(2);
  at::Tensor sq = (per * per).sum(2) * v * v;
  at::Tensor joint = m.weights().log().unsqueeze(0) - 0.5 * static_cast<double>(m.dim()) * at::log(2.0 * M_PI * v) - sq / (2.0 * v);
  at::Tensor r = at::softmax(joint, 1);
  return (r.unsqueeze(2) * per).sum(1).to(x.scalar_type());
}


}  // namespace

int main() {
  scoregen::GaussianMixture m({0.30, 0.22, 0.18, 0.12, 0.10, 0.08},
                              {{-4.0, -3.0}, {3.5, 3.0}, {0.0, 5.0}, {4.0, -4.0}, {-5.0, 3.0}, {0.5, -0.5}},
                              {0.6, 0.35, 1.0, 0.2, 0.5, 0.15});
  const std::int64_t n = 16384;
  at::manual_seed(0);
  at::Tensor x = at::randn({n, 2}) * 3, a = at::full({n}, 0.8, at::kDouble), s = at::full({n}, 0.6, at::kDouble);
  const double diff = (m.score(x, a, s) - score_per_component(m, x, a, s)).abs().max().item<double>();
  const double now = bench::median_ms(50, [&] { m.score(x, a, s); });
  const double before = bench::median_ms(50, [&] { score_per_component(m, x, a, s); });
  fmt::print("| implementation | ms per evaluation of {} points (median of 50) |\n|---|---|\n", n);
  fmt::print("| per component, [B, K, D] (before) | {:.3f} |\n| one pass per point (now) | {:.3f} |\n", before, now);
  fmt::print("\nspeed-up {:.1f}x; largest difference between the two {:.1e}\n", before / now, diff);
}
