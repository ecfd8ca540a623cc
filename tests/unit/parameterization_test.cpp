// Score / noise / data conversions (docs/formulas.md "Parameterisations"): exact on a Gaussian where all three are known.
#include <gtest/gtest.h>

#include "scoregen/parameterization.hpp"
#include "support.hpp"

using scoregen::Prediction;

TEST(Parameterization, ExactOnKnownNoise) {
  // x_t = a x0 + s eps with known x0 and eps: the conditional score is -eps / s.
  at::manual_seed(1);
  at::Tensor x0 = at::randn({4, 3}, at::kDouble), eps = at::randn({4, 3}, at::kDouble);
  at::Tensor a = at::tensor({0.9, 0.5, 0.1, 1.0}, at::kDouble), s = at::tensor({0.3, 0.8, 0.99, 2.0}, at::kDouble);
  at::Tensor x = a.unsqueeze(1) * x0 + s.unsqueeze(1) * eps;
  at::Tensor score = -eps / s.unsqueeze(1);
  EXPECT_TRUE(at::allclose(scoregen::to_score(Prediction::Noise, eps, x, a, s), score, 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(scoregen::to_score(Prediction::Data, x0, x, a, s), score, 1e-10, 1e-10));
  EXPECT_TRUE(at::allclose(scoregen::from_score(Prediction::Noise, score, x, a, s), eps, 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(scoregen::from_score(Prediction::Data, score, x, a, s), x0, 1e-10, 1e-10));
  EXPECT_TRUE(at::allclose(scoregen::to_score(Prediction::Score, score, x, a, s), score));
}

TEST(Parameterization, RoundTripEveryKind) {
  at::manual_seed(2);
  at::Tensor x = at::randn({5, 2, 3, 3}, at::kDouble), out = at::randn({5, 2, 3, 3}, at::kDouble);
  at::Tensor a = at::rand({5}, at::kDouble) + 0.1, s = at::rand({5}, at::kDouble) + 0.1;
  for (auto kind : {Prediction::Score, Prediction::Noise, Prediction::Data}) {
    at::Tensor back = scoregen::from_score(kind, scoregen::to_score(kind, out, x, a, s), x, a, s);
    EXPECT_TRUE(at::allclose(back, out, 1e-10, 1e-10)) << scoregen::prediction_name(kind);
  }
}
