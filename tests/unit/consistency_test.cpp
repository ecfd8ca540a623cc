// Consistency models (Song et al. 2023; Song & Dhariwal 2023; Geng et al. 2024): the boundary parameterisation is the identity at
// sigma_min and EDM's denoiser when sigma_min = 0; the distillation loss of the exact consistency function of a Gaussian
// (whose probability-flow ODE is linear) is zero with the exact ODE step, and with the teacher's Heun step it falls at
// Heun's order as the levels refine; iCT's curriculum, proposal and CT's target decay take their published values;
// ECT's continuous levels follow its mapping function, and the exact f's loss falls with their gap.
#include <cmath>

#include <gtest/gtest.h>

#include "scoregen/consistency.hpp"
#include "scoregen/edm.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/score_model.hpp"
#include "support.hpp"

namespace {

namespace cm = scoregen::consistency;

// Data N(mu, s^2 I) in 2-D. In EDM variables x_hat = x0 + sigma z, so (x_hat - mu) / sqrt(s^2 + sigma^2) is constant on
// the probability-flow ODE: f(x_hat, sigma) = mu + sqrt(s^2 + sigma_min^2) / sqrt(s^2 + sigma^2) (x_hat - mu).
constexpr double kS = 0.7;
const std::vector<double> kMu = {0.5, -1.0};

at::Tensor mu_like(const at::Tensor& x) { return at::tensor(kMu, x.options()).expand_as(x); }

// sqrt(s^2 + sigma_to^2) / sqrt(s^2 + sigma_from^2), [B] float64: the flow of that ODE from sigma_from to sigma_to.
at::Tensor flow_ratio(const at::Tensor& sigma_from, const at::Tensor& sigma_to) {
  return ((sigma_to.pow(2) + kS * kS) / (sigma_from.pow(2) + kS * kS)).sqrt();
}

class ExactGaussianConsistency : public scoregen::Network {
 public:
  explicit ExactGaussianConsistency(std::shared_ptr<scoregen::Sde> sde) : sde_(std::move(sde)), smin_(cm::sigma_min_of(*sde_)) {}
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor&) override {
    at::Tensor x_hat = x.to(at::kDouble) / scoregen::batch_view(sde_->mean_coeff(t.to(at::kDouble)), x);
    at::Tensor sigma = cm::sigma_at(*sde_, t);
    at::Tensor r = scoregen::batch_view(flow_ratio(sigma, at::full_like(sigma, smin_)), x);
    return (mu_like(x_hat) + r * (x_hat - mu_like(x_hat))).to(x.scalar_type());
  }
  scoregen::Prediction predicts() const override { return scoregen::Prediction::Data; }
  bool trainable() const override { return false; }
  double consistency_sigma_min() const override { return smin_; }
  double consistency_sigma_max() const override { return scoregen::edm::sigma_of_t(*sde_, sde_->T()); }

 private:
  std::shared_ptr<scoregen::Sde> sde_;
  double smin_;
};

const char* kGaussianTables = R"([sde]
plugin = "vp"
[network]
plugin = "gaussian-mixture"
weights = [1.0]
means = [[0.5, -1.0]]
stds = [0.7]
)";

scoregen::Batch gaussian_batch(std::int64_t n) {
  scoregen::BatchRandom rng(7, 0, 0, n);
  at::Tensor x = rng.normal({2}, at::kFloat) * kS + at::tensor({0.5f, -1.0f});
  return {x, at::Tensor()};
}

// The mean consistency-distillation loss of the exact f with the exact score as teacher, at N levels.
double distillation_loss(const std::string& solver, std::int64_t levels) {
  auto p = test::pipeline(std::string(kGaussianTables) + "[objective]\nplugin = \"consistency-distillation\"\nteacher = "
                          "\"unused.pt\"\nsolver = \"" + solver + "\"\nlevels = " + std::to_string(levels) + "\n");
  scoregen::BuildContext ctx;
  ctx.sde = p.create_as<scoregen::Sde>("sde", {});
  ctx.data_shape = {2};
  auto objective = p.create_as<scoregen::Objective>("objective", ctx);
  auto teacher_net = p.create_as<scoregen::Network>("network", ctx);
  scoregen::ScoreModel teacher(teacher_net, ctx.sde);
  ExactGaussianConsistency exact(ctx.sde);
  scoregen::Trainee trainee;
  trainee.network = trainee.target = &exact;
  trainee.teacher = &teacher;
  scoregen::Batch b = gaussian_batch(4096);
  scoregen::BatchRandom rng(11, 0, 0, 4096);
  return objective->loss(trainee, b, rng).item<double>();
}

}  // namespace

TEST(Consistency, BoundaryIsTheIdentityAtSigmaMinAndEdmsDenoiserWithoutIt) {
  at::Tensor x = at::randn({5, 3}, at::kDouble), d = at::randn({5, 3}, at::kDouble);
  const double smin = 0.002, sd = 0.5;
  // f(x, sigma_min) = x exactly (Song et al. 2023, eq. 5's boundary condition), and below it
  EXPECT_TRUE(at::equal(cm::boundary(x, d, at::full({5}, smin, at::kDouble), smin, sd), x));
  EXPECT_TRUE(at::equal(cm::boundary(x, d, at::full({5}, smin / 2, at::kDouble), smin, sd), x));
  // sigma_min = 0: c_skip, c_out are EDM's and f is the denoiser D itself
  at::Tensor sigma = at::tensor({0.01, 0.3, 1.0, 7.0, 80.0}, at::kDouble);
  EXPECT_TRUE(at::allclose(cm::boundary(x, d, sigma, 0.0, sd), d, 1e-12, 1e-12));
  // between: a blend that moves away from x as sigma grows
  at::Tensor f = cm::boundary(x, d, sigma, smin, sd);
  EXPECT_GT((f - x).abs().max().item<double>(), 1e-3);
  at::Tensor skip = cm::c_skip(sigma, smin, sd), out = cm::c_out(sigma, smin, sd);
  EXPECT_TRUE((skip.slice(0, 1) < skip.slice(0, 0, -1)).all().item<bool>());
  EXPECT_TRUE((out > 0).all().item<bool>());
}

TEST(Consistency, NetworkPluginHoldsTheBoundaryExactlyAtTheSamplingEpsilon) {
  for (const char* sde : {"vp", "ve"}) {
    auto p = test::pipeline(std::string("[sde]\nplugin = \"") + sde + "\"\n[network]\nplugin = \"consistency\"\nnetwork = "
                            "\"mlp\"\nwidth = 16\npredicts = \"noise\"\nsigma_data = 1.0\n");
    scoregen::BuildContext ctx;
    ctx.sde = p.create_as<scoregen::Sde>("sde", {});
    ctx.data_shape = {2};
    auto net = p.create_as<scoregen::Network>("network", ctx);
    ASSERT_NEAR(net->consistency_sigma_min(), scoregen::edm::sigma_of_t(*ctx.sde, ctx.sde->sample_eps()), 1e-9) << sde;
    at::Tensor x = at::randn({6, 2}) * 3;
    at::Tensor eps = at::full({6}, ctx.sde->sample_eps(), at::kFloat), half = at::full({6}, 0.5, at::kFloat);
    at::Tensor a = scoregen::batch_view(ctx.sde->mean_coeff(eps), x);
    EXPECT_TRUE(at::equal(net->forward(x, eps, {}), x / a)) << sde;
    EXPECT_GT((net->forward(x, half, {}) - x / a).abs().max().item<double>(), 1e-3) << sde;
  }
}

TEST(Consistency, ExactConsistencyFunctionHasZeroLossWithTheExactOdeStep) {
  auto sde = test::sde("vp");
  ExactGaussianConsistency exact(sde);
  cm::Levels levels(*sde, 18, 7.0, scoregen::edm::sigma_of_t(*sde, 1.0));
  scoregen::Batch b = gaussian_batch(4096);
  scoregen::BatchRandom rng(3, 0, 0, 4096);
  at::Tensor n = rng.integers(levels.size() - 1);
  at::Tensor z = rng.normal({2}, at::kFloat);
  cm::Pair pair;
  pair.sigma_n = levels.sigma(n), pair.sigma_next = levels.sigma(n + 1);
  pair.t_n = levels.t(n, b.x.options()), pair.t_next = levels.t(n + 1, b.x.options());
  pair.x_next = b.x + scoregen::batch_view(pair.sigma_next.to(at::kFloat), b.x) * z;
  // the exact flow from sigma_{n+1} to sigma_n
  at::Tensor mu = mu_like(b.x);
  pair.x_n = mu + scoregen::batch_view(flow_ratio(pair.sigma_next, pair.sigma_n).to(at::kFloat), b.x) * (pair.x_next - mu);
  for (auto kind : {cm::Distance::L2, cm::Distance::PseudoHuber}) {
    const double c = kind == cm::Distance::L2 ? 0.0 : cm::huber_constant(2);
    // pseudo-Huber is sqrt(d^2 + c^2) - c ~ d^2 / 2c near zero: float32's 1e-7 differences stay below 1e-10 either way
    EXPECT_LT(cm::loss(exact, exact, *sde, pair, {}, kind, c, cm::Weighting::Uniform).item<double>(), 1e-10);
  }
  // without the ODE step (x_n = x_{n+1}) the loss is far from zero
  cm::Pair wrong = pair;
  wrong.x_n = pair.x_next;
  EXPECT_GT(cm::loss(exact, exact, *sde, wrong, {}, cm::Distance::L2, 0.0, cm::Weighting::Uniform).item<double>(), 1e-3);
}

TEST(Consistency, DistillationLossFallsAtTheTeachersOrder) {
  // Heun's local error is O(h^3), so the squared distance falls like h^6 (64x per doubling of the levels; measured 99x
  // and 75x), Euler's like h^4 (16x; measured 17x and 17x).
  const double heun12 = distillation_loss("heun", 12), heun24 = distillation_loss("heun", 24),
               heun48 = distillation_loss("heun", 48), euler12 = distillation_loss("euler", 12),
               euler24 = distillation_loss("euler", 24), euler48 = distillation_loss("euler", 48);
  EXPECT_GT(heun12 / heun24, 40.0) << heun12 << " " << heun24;
  EXPECT_GT(heun24 / heun48, 40.0) << heun24 << " " << heun48;
  for (double r : {euler12 / euler24, euler24 / euler48}) {
    EXPECT_GT(r, 10.0);
    EXPECT_LT(r, 25.0);
  }
  EXPECT_LT(heun24, euler24 / 10);
}

TEST(Consistency, IctCurriculumProposalAndCtTargetDecay) {
  // K = 400000, s0 = 10, s1 = 1280 (iCT on CIFAR-10): K' = 50000, N doubles from 11 to 1281
  EXPECT_EQ(cm::curriculum_levels(0, 400000, 10, 1280), 11);
  EXPECT_EQ(cm::curriculum_levels(49999, 400000, 10, 1280), 11);
  EXPECT_EQ(cm::curriculum_levels(50000, 400000, 10, 1280), 21);
  EXPECT_EQ(cm::curriculum_levels(349999, 400000, 10, 1280), 641);
  EXPECT_EQ(cm::curriculum_levels(350000, 400000, 10, 1280), 1281);
  EXPECT_EQ(cm::curriculum_levels(399999, 400000, 10, 1280), 1281);
  // the proposal's mass below exp(P_mean): the lognormal's, renormalised to [sigma_min, sigma_max]
  const double pm = -1.1, ps = 2.0, lo = 0.002, hi = 80.0;
  auto cdf = [&](double s) { return 0.5 * (1 + std::erf((std::log(s) - pm) / (std::sqrt(2.0) * ps))); };
  std::vector<double> w = cm::lognormal_interval_weights({lo, std::exp(pm), hi}, pm, ps);
  EXPECT_NEAR(w[0], (0.5 - cdf(lo)) / (cdf(hi) - cdf(lo)), 1e-12);
  EXPECT_NEAR(w[0] + w[1], 1.0, 1e-12);
  // Karras levels: the ends exact, sigma_at of each level's time returns the level
  auto sde = test::sde("vp");
  cm::Levels levels(*sde, 11, 7.0, 20.0);
  EXPECT_EQ(levels.sigmas().front(), cm::sigma_min_of(*sde));
  EXPECT_EQ(levels.sigmas().back(), 20.0);
  at::Tensor all = at::arange(11, at::kLong);
  EXPECT_TRUE(at::allclose(cm::sigma_at(*sde, levels.t(all, at::kDouble)), levels.sigma(all), 1e-6, 0));
  // CT's mu(k) = exp(s0 log mu0 / N(k)) on the iCT curriculum
  auto p = test::pipeline(std::string(kGaussianTables) + "[objective]\nplugin = \"consistency-training\"\nmu = 0.9\n"
                          "mu_schedule = \"ct\"\n");
  scoregen::BuildContext ctx;
  ctx.sde = sde;
  ctx.data_shape = {2};
  auto objective = p.create_as<scoregen::Objective>("objective", ctx);
  EXPECT_NEAR(objective->target_decay(0, 400000), std::pow(0.9, 10.0 / 11.0), 1e-12);
  EXPECT_NEAR(objective->target_decay(50000, 400000), std::pow(0.9, 10.0 / 21.0), 1e-12);
  // distillation's default: a constant mu; a score objective has no target
  EXPECT_LT(test::pipeline(std::string(kGaussianTables) + "[objective]\nplugin = \"dsm\"\n")
                .create_as<scoregen::Objective>("objective", ctx)->target_decay(0, 10), 0.0);
}

namespace {

// consistency-training with ECT's continuous levels, its loss of the exact f at step k of 800 (ect_stages = 8: stage
// k / 100), with l2 distance and uniform weighting: the pairs' own gap, not a teacher's error, makes it nonzero.
double ect_loss(std::int64_t step) {
  auto p = test::pipeline(std::string(kGaussianTables) + "[objective]\nplugin = \"consistency-training\"\ncurriculum = "
                          "\"ect\"\ndistance = \"l2\"\nweighting = \"uniform\"\n");
  scoregen::BuildContext ctx;
  ctx.sde = p.create_as<scoregen::Sde>("sde", {});
  ctx.data_shape = {2};
  auto objective = p.create_as<scoregen::Objective>("objective", ctx);
  ExactGaussianConsistency exact(ctx.sde);
  scoregen::Trainee trainee;
  trainee.network = trainee.target = &exact;
  trainee.step = step, trainee.steps = 800;
  scoregen::Batch b = gaussian_batch(16384);
  scoregen::BatchRandom rng(13, 0, 0, 16384);
  return objective->loss(trainee, b, rng).item<double>();
}

}  // namespace

TEST(Consistency, EctLevelsFollowTheMappingFunctionAndTheGapShrinksTheLoss) {
  // stage = floor(k stages / K): 8 stages over 800 steps
  EXPECT_EQ(cm::ect_stage(0, 800, 8), 0);
  EXPECT_EQ(cm::ect_stage(99, 800, 8), 0);
  EXPECT_EQ(cm::ect_stage(100, 800, 8), 1);
  EXPECT_EQ(cm::ect_stage(799, 800, 8), 7);
  EXPECT_EQ(cm::ect_stage(800, 800, 8), 7);
  // r = t (1 - (1 + k sigmoid(-b t)) / q^(stage + 1)), at least 0 (Geng et al. 2024), q = 2, k = 8, b = 1
  at::Tensor t = at::tensor({0.01, 1.0, 20.0}, at::kDouble);
  at::Tensor r0 = cm::ect_lower(t, 0, 2.0, 8.0, 1.0), r3 = cm::ect_lower(t, 3, 2.0, 8.0, 1.0);
  for (int i = 0; i < 3; ++i) {
    const double ti = t[i].item<double>(), n = 1 + 8 / (1 + std::exp(ti));
    EXPECT_NEAR(r3[i].item<double>(), std::max(0.0, ti * (1 - n / 16)), 1e-12 * ti);
    EXPECT_NEAR(r0[i].item<double>(), std::max(0.0, ti * (1 - n / 2)), 1e-12 * ti);
  }
  EXPECT_EQ(r0[0].item<double>(), 0.0);  // n(0.01) ~ 5: r < 0 at stage 0, so 0
  // the truncated lognormal's inverse CDF: the ends at u = 0 and 1, exp(P_mean) at the mass below it
  const double pm = -1.1, ps = 2.0, lo = 0.002, hi = 80.0;
  auto cdf = [&](double s) { return 0.5 * (1 + std::erf((std::log(s) - pm) / (std::sqrt(2.0) * ps))); };
  const double below = (0.5 - cdf(lo)) / (cdf(hi) - cdf(lo));
  at::Tensor s = cm::truncated_lognormal(at::tensor({0.0, below, 1.0}, at::kDouble), pm, ps, lo, hi);
  EXPECT_NEAR(s[0].item<double>(), lo, 1e-9);
  EXPECT_NEAR(s[1].item<double>(), std::exp(pm), 1e-9);
  EXPECT_NEAR(s[2].item<double>(), hi, 1e-9);
  // the tensor inverse of sigma(t) is the scalar one's
  for (const char* name : {"vp", "ve", "subvp"}) {
    auto sde = test::sde(name);
    at::Tensor sig = at::tensor({0.01, 0.5, 3.0, 20.0}, at::kDouble).clamp_max(scoregen::edm::sigma_of_t(*sde, 1.0));
    at::Tensor tt = scoregen::edm::t_of_sigma(*sde, sig);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(tt[i].item<double>(), scoregen::edm::t_of_sigma(*sde, sig[i].item<double>()), 1e-12) << name;
  }
  // The exact f's loss comes from the gap alone: Delta sigma shrinks q = 2-fold per stage, so its square falls about
  // 4-fold (the clamp at sigma_min and n(sigma)'s curvature aside)
  const double l2 = ect_loss(200), l3 = ect_loss(300), l4 = ect_loss(400), l5 = ect_loss(500);
  std::printf("ECT, the exact f's loss at stages 2-5: %.4g %.4g %.4g %.4g\n", l2, l3, l4, l5);
  for (double ratio : {l2 / l3, l3 / l4, l4 / l5}) {
    EXPECT_GT(ratio, 3.0) << l2 << " " << l3 << " " << l4 << " " << l5;
    EXPECT_LT(ratio, 5.0) << l2 << " " << l3 << " " << l4 << " " << l5;
  }
}

TEST(Consistency, EctPairsLieBetweenTheEndsWithTheirMappedGap) {
  auto p = test::pipeline(std::string(kGaussianTables) + "[objective]\nplugin = \"consistency-training\"\ncurriculum = \"ect\"\n");
  auto sde = test::sde("vp");
  scoregen::consistency::Settings settings;
  settings.curriculum = "ect", settings.proposal = "lognormal";
  ExactGaussianConsistency exact(sde);
  scoregen::Trainee trainee;
  trainee.network = trainee.target = &exact;
  trainee.step = 500, trainee.steps = 800;  // stage 5
  cm::Schedule schedule(settings, p.options("objective"), scoregen::consistency::Settings());
  scoregen::Batch b = gaussian_batch(4096);
  scoregen::BatchRandom rng(17, 0, 0, 4096);
  cm::Pair pair = schedule.draw_pair(*sde, b.x, trainee, rng);
  const double smin = cm::sigma_min_of(*sde), smax = exact.consistency_sigma_max();
  EXPECT_TRUE(at::all(pair.sigma_n < pair.sigma_next).item<bool>());
  EXPECT_TRUE(at::all(pair.sigma_n >= smin).item<bool>());
  EXPECT_LE(pair.sigma_next.max().item<double>(), smax * (1 + 1e-6));
  // sigma_n is the mapping of sigma_{n+1} up to float32's rounding of both times, or sigma_min where that is below it
  at::Tensor mapped = cm::ect_lower(pair.sigma_next, 5, 2.0, 8.0, 1.0);
  at::Tensor unclamped = mapped > smin * 1.01;
  EXPECT_GT(unclamped.sum().item<std::int64_t>(), 2000);
  EXPECT_TRUE(at::allclose(pair.sigma_n.masked_select(unclamped), mapped.masked_select(unclamped), 1e-5, 0));
  EXPECT_TRUE(at::all(pair.sigma_n.masked_select(mapped <= smin) == smin).item<bool>());
  // the times are those the network sees: sigma_at(t) returns each sigma
  EXPECT_TRUE(at::equal(cm::sigma_at(*sde, pair.t_next), pair.sigma_next));
  // x at both levels shares one z: (x_next - x0) / sigma_next = (x_n - x0) / sigma_n
  at::Tensor z1 = (pair.x_next - b.x) / scoregen::batch_view(pair.sigma_next.to(at::kFloat), b.x);
  at::Tensor z0 = (pair.x_n - b.x) / scoregen::batch_view(pair.sigma_n.to(at::kFloat), b.x);
  EXPECT_TRUE(at::allclose(z1, z0, 1e-3, 1e-3));
}
