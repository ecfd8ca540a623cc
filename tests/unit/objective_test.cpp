// Each objective's minimiser, reached by training an affine score model on Gaussian data with the engine's
// Trainer (the loop `scoregen train` runs), is the analytic score of the perturbed data:
// s(x) = -(Sigma + sigma^2 I)^{-1} (x - mu) at a (nearly) single sigma.
#include <gtest/gtest.h>

#include "engine/host/memory_budget.hpp"
#include "engine/math/trainer.hpp"
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
  scoregen::Batch sample(scoregen::BatchRandom& rng) override {
    return {rng.normal({2}, at::kFloat) * at::tensor({1.0f, 0.5f}) + at::tensor({1.0f, -2.0f}), at::Tensor()};
  }
};

struct Fit {
  at::Tensor a, b;
};

// The [objective] of the pipeline text, built for 2-D data.
std::shared_ptr<scoregen::Objective> objective_of(const scoregen::engine::Pipeline& p) {
  scoregen::BuildContext ctx;
  ctx.sde = p.create_as<scoregen::Sde>("sde", {});
  ctx.data_shape = {2};
  return p.create_as<scoregen::Objective>("objective", ctx);
}

// `trial`: a trial step of that many examples before each step (0: none).
Fit train(const std::string& sde_text, const std::string& objective_text, int steps = 1500, std::int64_t trial = 0) {
  auto p = test::pipeline(sde_text + "\n[objective]\n" + objective_text + "\n");
  auto objective = objective_of(p);
  auto net = std::make_shared<AffineScore>();
  GaussianData data;
  scoregen::engine::TrainSettings settings;
  settings.steps = steps, settings.batch_size = 1024, settings.lr = 0.02, settings.warmup = 0, settings.grad_clip = 0;
  settings.ema = 0.99;  // the moving average settles at the minimiser, not in the iterates' noise ball
  scoregen::Trainee trainee;
  trainee.network = net.get();
  scoregen::engine::Trainer trainer(*net, trainee, *objective, data, settings, at::kCPU,
                                    [](std::uint64_t step, std::int64_t first, std::int64_t count) {
                                      return scoregen::BatchRandom(7, step, first, count);
                                    });
  for (int i = 0; i < steps; ++i) {
    if (trial > 0) trainer.trial_step(trial);
    trainer.step();
  }
  trainer.apply_ema();
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

TEST(Objective, DsmSigmaSquaredWeighting) { expect_analytic(train(kNarrowVe, "plugin = \"dsm\""), 0.3, 0.05, "dsm"); }

TEST(Objective, DsmLikelihoodWeightingHalfSum) {
  expect_analytic(train(kNarrowVe, "plugin = \"dsm\"\nweighting = \"likelihood\"\nreduction = \"half-sum\""), 0.3, 0.05,
                  "dsm likelihood");
}

TEST(Objective, NcsnAnnealedDsm) { expect_analytic(train(kNarrowSmld, "plugin = \"ncsn\""), 0.3, 0.05, "ncsn"); }

TEST(Objective, SlicedRademacherAndGaussian) {
  expect_analytic(train(kNarrowVe, "plugin = \"ssm\"\nn_probes = 2"), 0.3, 0.05, "ssm rademacher");
  expect_analytic(train(kNarrowVe, "plugin = \"ssm\"\nprobe = \"gaussian\"\nn_probes = 2"), 0.3, 0.05, "ssm gaussian");
}

TEST(Objective, SlicedVarianceReduced) { expect_analytic(train(kNarrowVe, "plugin = \"ssm-vr\""), 0.3, 0.05, "ssm-vr"); }

TEST(Objective, ExactScoreMatching) { expect_analytic(train(kNarrowVe, "plugin = \"esm\""), 0.3, 0.05, "esm"); }

TEST(Objective, SlicedAndExactAgreeWithDsm) {
  Fit dsm = train(kNarrowVe, "plugin = \"dsm\"");
  Fit esm = train(kNarrowVe, "plugin = \"esm\"");
  Fit ssm = train(kNarrowVe, "plugin = \"ssm-vr\"");
  EXPECT_TRUE(at::allclose(esm.a, dsm.a, 0, 0.06)) << esm.a << dsm.a;
  EXPECT_TRUE(at::allclose(ssm.a, dsm.a, 0, 0.06)) << ssm.a << dsm.a;
}

TEST(Objective, DdpmNeedsTheDiscreteChain) {
  auto p = test::pipeline("[sde]\nplugin = \"vp\"\n[objective]\nplugin = \"ddpm\"\n");
  EXPECT_THROW(objective_of(p), scoregen::Error);
  auto q = test::pipeline("[sde]\nplugin = \"vp\"\n[objective]\nplugin = \"ncsn\"\n");
  EXPECT_THROW(objective_of(q), scoregen::Error);
  // and each on the other's chain
  EXPECT_THROW(objective_of(test::pipeline("[sde]\nplugin = \"smld\"\n[objective]\nplugin = \"ddpm\"\n")), scoregen::Error);
  EXPECT_THROW(objective_of(test::pipeline("[sde]\nplugin = \"ddpm\"\n[objective]\nplugin = \"ncsn\"\n")), scoregen::Error);
}

TEST(Objective, DdpmLossIsEpsilonMse) {
  // For a noise-predicting network, L_simple = |eps_hat - eps|^2: a network that outputs the true eps scores 0.
  auto p = test::pipeline("[sde]\nplugin = \"ddpm\"\nN = 100\n[objective]\nplugin = \"ddpm\"\n");
  auto sde = p.create_as<scoregen::Sde>("sde", {});
  auto objective = objective_of(p);
  // Oracle: data are all zero, so x_t = std z and eps = x_t / std.
  struct EpsOracle : scoregen::Network {
    std::shared_ptr<scoregen::Sde> sde;
    at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor&) override {
      return x / scoregen::batch_view(sde->marginal_std(t), x);
    }
    scoregen::Prediction predicts() const override { return scoregen::Prediction::Noise; }
  } oracle;
  oracle.sde = sde;
  scoregen::BatchRandom rng(3, 0, 0, 64);
  scoregen::Batch zeros{at::zeros({64, 2}), at::Tensor()};
  scoregen::Trainee trainee;
  trainee.network = &oracle;
  EXPECT_LT(objective->loss(trainee, zeros, rng).item<double>(), 1e-10);
}

TEST(Trainer, TrialStepsChangeNothingAndMeasureTheMemoryPerExample) {
  // a trial step before every step: the same weights, bit for bit
  const Fit plain = train(kNarrowVe, "plugin = \"dsm\"", 20), tried = train(kNarrowVe, "plugin = \"dsm\"", 20, 64);
  EXPECT_TRUE(at::equal(plain.a, tried.a));
  EXPECT_TRUE(at::equal(plain.b, tried.b));
  // the memory a step holds grows with its examples: twice the examples, about twice the bytes
  auto p = test::pipeline(std::string(kNarrowVe) + "\n[objective]\nplugin = \"dsm\"\n");
  auto objective = objective_of(p);
  auto net = std::make_shared<AffineScore>();
  GaussianData data;
  scoregen::engine::TrainSettings settings;
  settings.batch_size = 64;
  scoregen::Trainee trainee;
  trainee.network = net.get();
  scoregen::engine::Trainer trainer(*net, trainee, *objective, data, settings, at::kCPU,
                                    [](std::uint64_t step, std::int64_t first, std::int64_t count) {
                                      return scoregen::BatchRandom(7, step, first, count);
                                    });
  const double small = scoregen::engine::peak_cpu_allocation([&] { trainer.trial_step(100000); });
  const double large = scoregen::engine::peak_cpu_allocation([&] { trainer.trial_step(200000); });
  EXPECT_GT(small, 100000 * 2 * 4.0) << "at least the examples themselves";
  EXPECT_NEAR(large / small, 2.0, 0.2);
  EXPECT_FALSE(net->a_.grad().defined()) << "the trial's gradients are cleared";
}
