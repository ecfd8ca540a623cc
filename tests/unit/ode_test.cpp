// ODE solvers against closed forms: dy/dt = -2 t y  =>  y(t) = y0 exp(-(t^2 - t0^2)); and the EDM change of variables.
#include <gtest/gtest.h>

#include <cmath>

#include "scoregen/edm.hpp"
#include "scoregen/ode.hpp"
#include "support.hpp"

TEST(Ode, Rk45MeetsItsTolerancesBothDirections) {
  auto f = [](double t, const at::Tensor& y) { return -2.0 * t * y; };
  at::Tensor y0 = at::tensor({1.0, -3.0, 0.5}, at::kDouble);
  for (double tol : {1e-3, 1e-5, 1e-8}) {
    auto r = scoregen::solve_rk45(f, y0, 0.0, 2.0, tol, tol);
    at::Tensor exact = y0 * std::exp(-4.0);
    EXPECT_LT((r.y - exact).abs().max().item<double>(), 50 * tol) << tol;
    auto back = scoregen::solve_rk45(f, r.y, 2.0, 0.0, tol, tol);  // and back again
    EXPECT_LT((back.y - y0).abs().max().item<double>(), 200 * tol) << tol;
  }
  // Tighter tolerances cost more evaluations
  auto loose = scoregen::solve_rk45(f, y0, 0.0, 2.0, 1e-3, 1e-3), tight = scoregen::solve_rk45(f, y0, 0.0, 2.0, 1e-8, 1e-8);
  EXPECT_GT(tight.nfe, loose.nfe);
}

TEST(Ode, FixedStepMethodsConvergeAtTheirOrder) {
  auto f = [](double t, const at::Tensor& y) { return -2.0 * t * y; };
  at::Tensor y0 = at::ones({1}, at::kDouble);
  const double exact = std::exp(-1.0);
  for (auto [method, order] : {std::pair<const char*, double>{"euler", 1}, {"heun", 2}, {"rk4", 4}}) {
    double e1 = std::abs(scoregen::solve_fixed(method, f, y0, at::linspace(0.0, 1.0, 21, at::kDouble)).y.item<double>() - exact);
    double e2 = std::abs(scoregen::solve_fixed(method, f, y0, at::linspace(0.0, 1.0, 41, at::kDouble)).y.item<double>() - exact);
    EXPECT_NEAR(std::log2(e1 / e2), order, 0.3) << method;  // halving h divides the error by 2^order
  }
}

TEST(Edm, SigmaOfTimeAndItsInverse) {
  for (const char* name : {"ve", "vp", "subvp"}) {
    auto sde = test::sde(name);
    for (double t : {1e-3, 0.1, 0.5, 0.99}) {
      double s = scoregen::edm::sigma_of_t(*sde, t);
      EXPECT_NEAR(scoregen::edm::t_of_sigma(*sde, s), t, 1e-9) << name;
    }
  }
  // VE: sigma(t) is the kernel std itself
  EXPECT_NEAR(scoregen::edm::sigma_of_t(*test::sde("ve"), 0.5), 0.01 * std::pow(5000.0, 0.5), 1e-9);
  auto k = scoregen::edm::karras_sigmas(0.002, 80.0, 18, 7.0);
  ASSERT_EQ(k.size(), 19u);
  EXPECT_NEAR(k[0], 80.0, 1e-9);
  EXPECT_NEAR(k[17], 0.002, 1e-12);
  EXPECT_EQ(k[18], 0.0);
}

#include "engine/math/metrics.hpp"

TEST(Metrics, FrechetDistanceOfGaussiansInClosedForm) {
  // N(0, I) vs N(m, 4 I) in 3-D: |m|^2 + tr(I + 4I - 2 * 2I) = |m|^2 + 3
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(2);
  at::Tensor a = at::randn({100000, 3}, g, at::kDouble);
  at::Tensor b = at::randn({100000, 3}, g, at::kDouble) * 2.0 + at::tensor({1.0, 0.0, -1.0}, at::kDouble);
  EXPECT_NEAR(scoregen::engine::frechet_distance(a, b), 2.0 + 3.0, 0.1);
  EXPECT_NEAR(scoregen::engine::frechet_distance(a, a), 0.0, 1e-6);
  // Sliced W1 of a shift by c along every direction: E|<c, u>| over unit u in 2-D = 2|c|/pi
  // (1000 random directions: their own sampling error is about 0.03)
  at::Tensor x = at::randn({5000, 2}, g, at::kDouble);
  EXPECT_NEAR(scoregen::engine::sliced_wasserstein(x + at::tensor({3.0, 0.0}, at::kDouble), x, 1000, g), 6.0 / M_PI, 0.1);
}
