// Likelihood through the PF-ODE against the exact log-density of the diffused mixture (the oracle);
// Hutchinson against exact divergence; encode/decode round trips; slerp.
#include <gtest/gtest.h>

#include "engine/math/likelihood.hpp"
#include "scoregen/gaussian_mixture.hpp"
#include "support.hpp"

namespace {
const char* kMixture = "weights = [0.5, 0.3, 0.2]\nmeans = [[-4.0, 0.0], [3.0, 3.0], [3.0, -3.0]]\nstds = [0.5, 1.0, 0.3]\n";
const scoregen::GaussianMixture& mixture() {
  static scoregen::GaussianMixture m({0.5, 0.3, 0.2}, {{-4.0, 0.0}, {3.0, 3.0}, {3.0, -3.0}}, {0.5, 1.0, 0.3});
  return m;
}
struct Oracle {
  std::shared_ptr<scoregen::Sde> sde;
  std::unique_ptr<scoregen::ScoreModel> model;
};
Oracle oracle(const std::string& sde) {
  auto a = test::assembly("[sde]\n" + sde + "\n[network]\nplugin = \"gaussian-mixture\"\n" + kMixture);
  return {a.session.sde, std::move(a.model)};
}
at::Tensor at_time(const scoregen::Sde& sde, double t, std::int64_t n) { return at::full({n}, t, at::kDouble); }
// Points from the mixture, in float64 so the check is limited by the solver, not by rounding.
at::Tensor points(std::int64_t n) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(4);
  return mixture().sample(n, g).first.to(at::kDouble);
}
}  // namespace

class ExactLikelihood : public ::testing::TestWithParam<const char*> {};

TEST_P(ExactLikelihood, EqualsTheDiffusedMixtureDensity) {
  Oracle o = oracle(GetParam());
  at::Tensor x = points(64);
  scoregen::engine::LikelihoodOptions opt;
  opt.divergence = "exact";
  opt.rtol = opt.atol = 1e-7;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  auto r = scoregen::engine::log_likelihood(*o.model, x, opt, gen);
  const double eps = o.sde->likelihood_eps(), T = o.sde->T();
  auto n = x.size(0);
  // log p_eps(x) = log p_T(x(T)) + int div: compare with the exact diffused density at both ends
  at::Tensor exact = mixture().log_prob(x, o.sde->mean_coeff(at_time(*o.sde, eps, n)), o.sde->marginal_std(at_time(*o.sde, eps, n)));
  at::Tensor via_ode = mixture().log_prob(r.z, o.sde->mean_coeff(at_time(*o.sde, T, n)), o.sde->marginal_std(at_time(*o.sde, T, n))) + r.delta;
  EXPECT_LT((via_ode - exact).abs().max().item<double>(), 1e-3) << GetParam();
  // Hutchinson (Rademacher, one probe): mean within three standard errors of the exact mean
  scoregen::engine::LikelihoodOptions h;
  auto rh = scoregen::engine::log_likelihood(*o.model, x, h, gen);
  at::Tensor diff = rh.delta - r.delta;
  double se = diff.std().item<double>() / std::sqrt(static_cast<double>(n));
  EXPECT_LT(std::abs(diff.mean().item<double>()), 3 * se + 1e-4) << GetParam() << " se " << se;
  EXPECT_GT(diff.abs().max().item<double>(), 0.0) << "Hutchinson should differ per example";
}

INSTANTIATE_TEST_SUITE_P(EverySde, ExactLikelihood,
                         ::testing::Values("plugin = \"ve\"\nsigma_max = 20.0", "plugin = \"vp\"", "plugin = \"subvp\""));

TEST(Latent, EncodeThenDecodeReturnsTheInput) {
  for (const char* sde : {"plugin = \"vp\"", "plugin = \"ve\"\nsigma_max = 20.0"}) {
    Oracle o = oracle(sde);
    at::Tensor x = points(32).to(at::kFloat);
    auto z = scoregen::engine::encode(*o.model, x, 1e-5, 1e-5);
    auto back = scoregen::engine::decode(*o.model, z.y, 1e-5, 1e-5);
    EXPECT_LT((back.y - x).abs().max().item<double>(), 2e-2) << sde;
    EXPECT_GT((z.y - x).abs().max().item<double>(), 1.0) << "the latent should be far from the data";
  }
}

TEST(Latent, SlerpKeepsTheEndsAndTheNorm) {
  at::Tensor a = at::tensor({3.0f, 0.0f}), b = at::tensor({0.0f, 3.0f});
  at::Tensor path = scoregen::engine::slerp(a, b, at::linspace(0.0, 1.0, 5, at::kDouble));
  EXPECT_TRUE(at::allclose(path[0], a, 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(path[4], b, 1e-6, 1e-6));
  EXPECT_NEAR(path[2].norm().item<double>(), 3.0, 1e-5);  // on the circle, not the chord
}
