// Each objective's minimiser, reached by training an affine score model on Gaussian data, is the
// analytic score of the perturbed data: s(x) = -(Sigma + sigma^2 I)^{-1} (x - mu) at a (nearly) single sigma.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "scoregen/error.hpp"
#include "scoregen/objective.hpp"
#include "support.hpp"

namespace {

// s(x, t) = A x + b (time ignored): the exact score class for Gaussian data at one noise level.
class AffineScore : public scoregen::Network {
 public:
  AffineScore() {
    a_ = register_parameter("A", at::zeros({2, 2}));
    b_ = register_parameter("b", at::zeros({2}));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor&, const at::Tensor&) override {
    return at::matmul(x, a_.t()) + b_;
  }
  scoregen::Prediction predicts() const override { return scoregen::Prediction::Score; }
  at::Tensor a_, b_;
};

// Gaussian data N(mu, diag(var)).
class GaussianData : public scoregen::Dataset {
 public:
  std::vector<std::int64_t> shape() const override { return {2}; }
  std::int64_t size() const override { return 0; }
  std::pair<double, double> range() const override { return {-5, 5}; }
  scoregen::Batch sample(std::int64_t n, at::Generator gen) override {
    return {at::randn({n, 2}, gen, at::kFloat) * at::tensor({1.0f, 0.5f}) + at::tensor({1.0f, -2.0f}), at::Tensor()};
  }
};

struct Fit {
  at::Tensor a, b;
};

Fit train(const std::string& sde_text, const std::string& train_text, int steps = 1500) {
  auto p = test::pipeline(sde_text + "\n[train]\n" + train_text + "\n");
  auto sde = p.create_as<scoregen::Sde>("sde", {});
  auto objective = scoregen::make_objective(p.options("train"), sde, 2);
  auto net = std::make_shared<AffineScore>();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(0.02));
  GaussianData data;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
  for (int i = 0; i < steps; ++i) {
    // Step-size decay so the iterate settles at the minimiser, not in its noise ball.
    double lr = i < steps / 2 ? 0.02 : 0.002;
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    opt.zero_grad();
    objective->loss(*net, data.sample(1024, gen), gen).backward();
    opt.step();
  }
  return {net->a_.detach().clone(), net->b_.detach().clone()};
}

// sigma ~ 0.3 (a VE SDE with a very narrow range): A* = -diag(1 / (var + sigma^2)), b* = -A* mu.
void expect_analytic(const Fit& f, double sigma, double tol, const std::string& what) {
  at::Tensor var = at::tensor({1.0, 0.25}) + sigma * sigma;
  at::Tensor a_star = at::diag(-1.0 / var);
  at::Tensor b_star = at::tensor({1.0, -2.0}) / var;
  EXPECT_TRUE(at::allclose(f.a.to(at::kDouble), a_star, 0, tol)) << what << "\nA =\n" << f.a << "\nA* =\n" << a_star;
  EXPECT_TRUE(at::allclose(f.b.to(at::kDouble), b_star, 0, tol)) << what << "\nb = " << f.b << "\nb* = " << b_star;
}

const char* kNarrowVe = "[sde]\nplugin = \"ve\"\nsigma_min = 0.3\nsigma_max = 0.3001";
const char* kNarrowSmld = "[sde]\nplugin = \"smld\"\nsigma_min = 0.3\nsigma_max = 0.3001\nL = 2";

}  // namespace

TEST(Objective, DsmSigmaSquaredWeighting) { expect_analytic(train(kNarrowVe, "objective = \"dsm\""), 0.3, 0.05, "dsm"); }

TEST(Objective, DsmLikelihoodWeightingHalfSum) {
  expect_analytic(train(kNarrowVe, "objective = \"dsm\"\nweighting = \"likelihood\"\nreduction = \"half-sum\""), 0.3, 0.05,
                  "dsm likelihood");
}

TEST(Objective, NcsnAnnealedDsm) { expect_analytic(train(kNarrowSmld, "objective = \"ncsn\""), 0.3, 0.05, "ncsn"); }

TEST(Objective, SlicedRademacherAndGaussian) {
  expect_analytic(train(kNarrowVe, "objective = \"ssm\"\nn_probes = 2"), 0.3, 0.05, "ssm rademacher");
  expect_analytic(train(kNarrowVe, "objective = \"ssm\"\nprobe = \"gaussian\"\nn_probes = 2"), 0.3, 0.05, "ssm gaussian");
}

TEST(Objective, SlicedVarianceReduced) { expect_analytic(train(kNarrowVe, "objective = \"ssm-vr\""), 0.3, 0.05, "ssm-vr"); }

TEST(Objective, ExactScoreMatching) { expect_analytic(train(kNarrowVe, "objective = \"esm\""), 0.3, 0.05, "esm"); }

TEST(Objective, SlicedAndExactAgreeWithDsm) {
  Fit dsm = train(kNarrowVe, "objective = \"dsm\"");
  Fit esm = train(kNarrowVe, "objective = \"esm\"");
  Fit ssm = train(kNarrowVe, "objective = \"ssm-vr\"");
  EXPECT_TRUE(at::allclose(esm.a, dsm.a, 0, 0.06)) << esm.a << dsm.a;
  EXPECT_TRUE(at::allclose(ssm.a, dsm.a, 0, 0.06)) << ssm.a << dsm.a;
}

TEST(Objective, DdpmNeedsTheDiscreteChain) {
  auto p = test::pipeline("[sde]\nplugin = \"vp\"\n[train]\nobjective = \"ddpm\"\n");
  EXPECT_THROW(scoregen::make_objective(p.options("train"), p.create_as<scoregen::Sde>("sde", {}), 2), scoregen::Error);
  auto q = test::pipeline("[sde]\nplugin = \"vp\"\n[train]\nobjective = \"ncsn\"\n");
  EXPECT_THROW(scoregen::make_objective(q.options("train"), q.create_as<scoregen::Sde>("sde", {}), 2), scoregen::Error);
}

TEST(Objective, DdpmLossIsEpsilonMse) {
  // For a noise-predicting network, L_simple = |eps_hat - eps|^2: a network that outputs the true eps scores 0.
  auto p = test::pipeline("[sde]\nplugin = \"ddpm\"\nN = 100\n[train]\nobjective = \"ddpm\"\n");
  auto sde = p.create_as<scoregen::Sde>("sde", {});
  auto objective = scoregen::make_objective(p.options("train"), sde, 2);
  // Oracle: data are all zero, so x_t = std z and eps = x_t / std.
  struct EpsOracle : scoregen::Network {
    std::shared_ptr<scoregen::Sde> sde;
    at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor&) override {
      return x / scoregen::batch_view(sde->marginal_std(t), x);
    }
    scoregen::Prediction predicts() const override { return scoregen::Prediction::Noise; }
  } oracle;
  oracle.sde = sde;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
  scoregen::Batch zeros{at::zeros({64, 2}), at::Tensor()};
  EXPECT_LT(objective->loss(oracle, zeros, gen).item<double>(), 1e-10);
}
