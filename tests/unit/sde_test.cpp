// SDE plugins: the golden values of docs/formulas.md "Forward processes" and the kernel against a numerical solution
// of its moment ODEs.
#include <gtest/gtest.h>

#include <cmath>

#include "scoregen/error.hpp"
#include "support.hpp"

using test::full_t;

TEST(Sde, GoldenValuesFromReference) {
  auto ve = test::sde("ve");
  // VE g-factor sqrt(2 ln(50 / 0.01)) = 4.1273: g(t) / sigma(t)
  at::Tensor t = full_t(0.3);
  EXPECT_NEAR((ve->diffusion(t) / ve->marginal_std(t)).item<double>(), 4.1273, 1e-4);
  EXPECT_NEAR(ve->marginal_std(full_t(1.0)).item<double>(), 50.0, 1e-9);
  EXPECT_NEAR(ve->marginal_std(full_t(0.0)).item<double>(), 0.01, 1e-12);
  auto vp = test::sde("vp");
  EXPECT_NEAR(vp->marginal_std(full_t(1.0)).item<double>(), 0.99998, 1e-5);
  EXPECT_NEAR(vp->mean_coeff(full_t(1.0)).item<double>(), 0.00657, 1e-5);
  auto subvp = test::sde("subvp");
  EXPECT_NEAR(subvp->marginal_std(full_t(1.0)).item<double>(), 0.99996, 1e-5);
  // Time epsilons: sampling ends at 1e-3 (VP, sub-VP) and 1e-5 (VE); training and likelihood at 1e-5.
  EXPECT_DOUBLE_EQ(vp->sample_eps(), 1e-3);
  EXPECT_DOUBLE_EQ(subvp->sample_eps(), 1e-3);
  EXPECT_DOUBLE_EQ(ve->sample_eps(), 1e-5);
  EXPECT_DOUBLE_EQ(vp->train_eps(), 1e-5);
  EXPECT_DOUBLE_EQ(vp->likelihood_eps(), 1e-5);
}

TEST(Sde, DiscreteSchedules) {
  auto ddpm = test::sde("ddpm");
  at::Tensor betas = ddpm->discrete_betas();
  EXPECT_NEAR(betas[0].item<double>(), 1e-4, 1e-12);
  EXPECT_NEAR(betas[999].item<double>(), 0.02, 1e-12);
  // alpha_bar at the last step equals prod(1 - beta_i)
  double prod = at::prod(1.0 - betas).item<double>();
  EXPECT_NEAR(ddpm->mean_coeff(full_t(1.0)).item<double>(), std::sqrt(prod), 1e-12);
  auto smld = test::sde("smld");
  at::Tensor sig = smld->discrete_sigmas();
  ASSERT_EQ(sig.size(0), 10);
  EXPECT_NEAR(sig[0].item<double>(), 0.01, 1e-12);
  EXPECT_NEAR(sig[9].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR((sig[1] / sig[0]).item<double>(), std::pow(100.0, 1.0 / 9.0), 1e-9);  // geometric
  // On the grid the kernel std is exactly the ladder
  EXPECT_NEAR(smld->marginal_std(full_t(4.0 / 9.0)).item<double>(), sig[4].item<double>(), 1e-12);
}

TEST(Sde, PriorLogDensity) {
  auto ve = test::sde("ve", "sigma_max = 3.0");
  at::Tensor z = at::tensor({1.0, -2.0, 0.5}, at::kDouble).reshape({1, 3});
  // -D/2 ln(2 pi sigma^2) - |z|^2 / (2 sigma^2)
  double expected = -1.5 * std::log(2 * M_PI * 9.0) - 5.25 / 18.0;
  EXPECT_NEAR(ve->prior_logp(z).item<double>(), expected, 1e-12);
  auto vp = test::sde("vp");
  EXPECT_NEAR(vp->prior_logp(z).item<double>(), -1.5 * std::log(2 * M_PI) - 5.25 / 2.0, 1e-12);
}

// The kernel N(a x0, s^2 I) of a linear SDE dx = f(t) x dt + g dW solves a' = f a and (s^2)' = 2 f s^2 + g^2.
// Integrate both by RK4 from t0 and compare with the closed forms at several t.
class KernelOde : public ::testing::TestWithParam<const char*> {};

TEST_P(KernelOde, KernelMatchesMomentOde) {
  auto sde = test::sde(GetParam());
  auto coef = [&](double t) {
    at::Tensor tt = full_t(t);
    at::Tensor x = at::ones({1, 1}, at::kDouble);
    double f = sde->drift(x, tt).item<double>();
    double g = sde->diffusion(tt).item<double>();
    return std::pair<double, double>{f, g * g};
  };
  const double t0 = 1e-3;
  double a = sde->mean_coeff(full_t(t0)).item<double>();
  double v = std::pow(sde->marginal_std(full_t(t0)).item<double>(), 2);
  // rhs of (a, v): (f a, 2 f v + g^2)
  auto rhs = [&](double t, double a_, double v_) {
    auto [f, g2] = coef(t);
    return std::pair<double, double>{f * a_, 2 * f * v_ + g2};
  };
  const int n = 4000;
  const double h = (1.0 - t0) / n;
  double t = t0;
  for (int i = 1; i <= n; ++i) {
    auto [k1a, k1v] = rhs(t, a, v);
    auto [k2a, k2v] = rhs(t + h / 2, a + h / 2 * k1a, v + h / 2 * k1v);
    auto [k3a, k3v] = rhs(t + h / 2, a + h / 2 * k2a, v + h / 2 * k2v);
    auto [k4a, k4v] = rhs(t + h, a + h * k3a, v + h * k3v);
    a += h / 6 * (k1a + 2 * k2a + 2 * k3a + k4a);
    v += h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v);
    t += h;
    if (i % 1000 == 0) {
      double s = sde->marginal_std(full_t(t)).item<double>();
      EXPECT_NEAR(std::sqrt(v), s, 1e-6 * std::max(1.0, s)) << GetParam() << " at t = " << t;
      EXPECT_NEAR(a, sde->mean_coeff(full_t(t)).item<double>(), 1e-8) << GetParam() << " at t = " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ContinuousSdes, KernelOde, ::testing::Values("ve", "vp", "subvp"));

TEST(Sde, ReverseDiffusionDiscretisation) {
  // VE: G_i = sqrt(sigma_i^2 - sigma_{i-1}^2); VP: f_i = (sqrt(1 - beta_i) - 1) x, G_i = sqrt(beta_i)
  auto ve = test::sde("ve", "N = 10");
  at::Tensor sig = ve->discrete_sigmas();
  at::Tensor x = at::ones({1, 2}, at::kDouble);
  auto [f, g] = ve->discretize(x, full_t(5.0 / 9.0));
  EXPECT_NEAR(g.item<double>(), std::sqrt(std::pow(sig[5].item<double>(), 2) - std::pow(sig[4].item<double>(), 2)), 1e-12);
  EXPECT_EQ(f.abs().sum().item<double>(), 0.0);
  auto [f0, g0] = ve->discretize(x, full_t(0.0));
  EXPECT_NEAR(g0.item<double>(), sig[0].item<double>(), 1e-12);
  auto vp = test::sde("vp", "N = 100");
  at::Tensor b = vp->discrete_betas();
  auto [fv, gv] = vp->discretize(x, full_t(1.0));
  EXPECT_NEAR(gv.item<double>(), std::sqrt(b[99].item<double>()), 1e-12);
  EXPECT_NEAR(fv[0][0].item<double>(), std::sqrt(1 - b[99].item<double>()) - 1, 1e-12);
  // Too short a chain (beta_i >= 1) is refused rather than producing NaN.
  EXPECT_THROW(test::sde("vp", "N = 10")->discretize(x, full_t(1.0)), scoregen::Error);
}
