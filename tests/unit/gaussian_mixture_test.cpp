// The gaussian-mixture oracle: its score is the autograd gradient of the exact diffused log-density.
#include <gtest/gtest.h>

#include <torch/csrc/autograd/autograd.h>

#include "scoregen/gaussian_mixture.hpp"
#include "support.hpp"

namespace {
const char* kMixture = R"(
weights = [0.5, 0.3, 0.2]
means = [[-4.0, 0.0], [3.0, 3.0], [3.0, -3.0]]
stds = [0.5, 1.0, 0.3]
)";
}

class OracleScore : public ::testing::TestWithParam<const char*> {};

TEST_P(OracleScore, EqualsGradientOfExactLogDensity) {
  auto p = test::pipeline(std::string("[sde]\nplugin = \"") + GetParam() + "\"\n[network]\nplugin = \"gaussian-mixture\"\n" +
                          kMixture);
  auto sde = p.create_as<scoregen::Sde>("sde", {});
  scoregen::BuildContext ctx;
  ctx.sde = sde;
  auto net = p.create_as<scoregen::Network>("network", ctx);
  scoregen::GaussianMixture mix({0.5, 0.3, 0.2}, {{-4.0, 0.0}, {3.0, 3.0}, {3.0, -3.0}}, {0.5, 1.0, 0.3});
  at::manual_seed(3);
  for (double tv : {0.0, 0.01, 0.1, 0.4, 0.9}) {
    at::Tensor x = (at::randn({16, 2}, at::kDouble) * 4).requires_grad_(true);
    at::Tensor t = at::full({16}, tv, at::kDouble);
    at::Tensor logp = mix.log_prob(x, sde->mean_coeff(t), sde->marginal_std(t));
    at::Tensor grad = torch::autograd::grad({logp.sum()}, {x})[0];
    at::Tensor score = net->forward(x.detach(), t, at::Tensor());
    EXPECT_TRUE(at::allclose(score, grad, 1e-10, 1e-10)) << GetParam() << " t=" << tv;
  }
}

INSTANTIATE_TEST_SUITE_P(EverySde, OracleScore, ::testing::Values("ve", "vp", "subvp", "smld", "ddpm"));

TEST(GaussianMixture, LogDensityAtTimeZeroIsTheMixture) {
  // One component: log N(x; mu, s^2 I) in closed form.
  scoregen::GaussianMixture one({1.0}, {{1.0, -2.0}}, {0.5});
  at::Tensor x = at::tensor({0.0, 0.0}, at::kDouble).reshape({1, 2});
  double expected = -std::log(2 * M_PI * 0.25) - (1.0 + 4.0) / (2 * 0.25);
  EXPECT_NEAR(one.log_prob(x, at::ones({1}, at::kDouble), at::zeros({1}, at::kDouble)).item<double>(), expected, 1e-12);
}

TEST(GaussianMixture, PosteriorGradientMatchesAutograd) {
  scoregen::GaussianMixture mix({0.5, 0.3, 0.2}, {{-4.0, 0.0}, {3.0, 3.0}, {3.0, -3.0}}, {0.5, 1.0, 0.3});
  at::Tensor x = (at::randn({8, 2}, at::kDouble) * 3).requires_grad_(true);
  at::Tensor a = at::full({8}, 0.7, at::kDouble), s = at::full({8}, 0.6, at::kDouble);
  at::Tensor y = at::tensor({0, 1, 2, 0, 1, 2, 0, 1}, at::kLong);
  at::Tensor logpost = at::log_softmax(mix.joint_log_prob(x, a, s), 1).gather(1, y.unsqueeze(1)).sum();
  at::Tensor grad = torch::autograd::grad({logpost}, {x})[0];
  EXPECT_TRUE(at::allclose(mix.grad_log_posterior(x.detach(), a, s, y), grad, 1e-10, 1e-10));
}
