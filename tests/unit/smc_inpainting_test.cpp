// Sequential Monte Carlo inpainting and colorization against exact conditionals of Gaussian-mixture oracles:
// p(x_unknown | x_known) of an isotropic mixture is again a mixture, with weights w_k N(x_known; mu_k, s_k^2) and
// the components' own law on the unknown part. Replacement inpainting stays beside it, measurably off.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include <ATen/ATen.h>

#include "engine/math/inpainting.hpp"
#include "engine/math/metrics.hpp"
#include "engine/math/smc_inpainting.hpp"
#include "mixture_oracle.hpp"
#include "support.hpp"

namespace {

using test::Mixture;

// Unequal weights and spreads; given x = 0.3 three modes remain, at y = -4, 0 and 4, with weights 0.55 / 0.34 / 0.11.
const Mixture kFive{{0.30, 0.25, 0.20, 0.15, 0.10},
                    {{0.0, -4.0}, {0.6, 0.0}, {-0.6, 4.0}, {4.0, 2.0}, {-4.0, -1.0}},
                    {0.7, 1.0, 0.5, 0.8, 0.6}};
const double kKnownX = 0.3;
// The chain: 50 reverse-diffusion steps (the SMC's error at given K was measured the same at 50, 100, 500 and 2000).
const std::int64_t kSteps = 50;

std::string pipeline(const Mixture& m) {
  return "[sde]\nplugin = \"vp\"\nN = " + std::to_string(kSteps) + "\n[network]\nplugin = \"gaussian-mixture\"\n" + m.toml() +
         "[sampler]\nplugin = \"pc\"\npredictor = \"reverse-diffusion\"\ncorrector = \"none\"\n";
}

// n exact draws of coordinate `d` of the conditional, whose components have centres `centres` on it.
at::Tensor exact_conditional(const std::vector<double>& w, const std::vector<std::vector<double>>& centres, std::size_t d,
                             const std::vector<double>& stds, std::int64_t n, std::uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor k = at::multinomial(at::tensor(w, at::kDouble), n, true, gen);
  at::Tensor mu = at::zeros({static_cast<std::int64_t>(w.size())}, at::kDouble), s = at::tensor(stds, at::kDouble);
  for (std::size_t j = 0; j < w.size(); ++j) mu[static_cast<std::int64_t>(j)] = centres[j][d];
  return mu.index_select(0, k) + s.index_select(0, k) * at::randn({n}, gen, at::kDouble);
}

double w1(const at::Tensor& a, const at::Tensor& b) {
  return scoregen::engine::sliced_wasserstein(a.reshape({-1, 1}), b.reshape({-1, 1}), 1,
                                              at::make_generator<at::CPUGeneratorImpl>(0));
}

// W1 of n completions' coordinate `d` to n exact conditional draws, and the exact-sample floor: the largest W1
// between two independent sets of n exact draws over six seeds.
std::pair<double, double> w1_and_floor(const at::Tensor& completed, const std::vector<double>& w,
                                       const std::vector<std::vector<double>>& centres, std::size_t d,
                                       const std::vector<double>& stds) {
  const std::int64_t n = completed.size(0);
  double worst = 0;
  for (std::uint64_t s = 0; s < 6; ++s)
    worst = std::max(worst, w1(exact_conditional(w, centres, d, stds, n, 100 + 2 * s),
                               exact_conditional(w, centres, d, stds, n, 101 + 2 * s)));
  return {w1(completed, exact_conditional(w, centres, d, stds, n, 7)), worst};
}

struct Completions {
  at::Tensor x;  // [n, D] float64
  scoregen::engine::SmcSummary summary;
  std::int64_t nfe = 0;
};

// n completions of `known` (mask 1 = known, in the observation's space) by SMC with k particles each.
Completions smc(const Mixture& mix, const at::Tensor& known, const at::Tensor& mask, bool colorize, std::int64_t n,
                std::int64_t k, std::uint64_t seed) {
  auto a = test::assembly(pipeline(mix));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  scoregen::engine::SmcInpainting sampler(*a.model, known.expand({n, known.size(1)}), mask, colorize, k, 0.5, gen);
  scoregen::SilentProgress progress;
  at::Tensor x = a.sampler->sample(*a.model, {n * k, known.size(1)}, gen, progress, sampler.hooks());
  return {sampler.select(x).to(at::kDouble), sampler.summary(), a.model->nfe()};
}

// The completions' estimate of each conditional weight: the mean of the exact posterior p(k | x) over them, which
// is unbiased for p(k | x_known) (no mode-assignment error).
std::vector<double> mode_weights(const Mixture& m, const at::Tensor& x) {
  at::Tensor r = m.oracle().posterior(x, at::ones({x.size(0)}, at::kDouble), at::zeros({x.size(0)}, at::kDouble));
  at::Tensor mean = r.mean(0);
  return std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

at::Tensor known_x() { return at::tensor({static_cast<float>(kKnownX), 0.0f}).reshape({1, 2}); }
at::Tensor x_mask() { return at::tensor({1.0f, 0.0f}).reshape({1, 2}); }

}  // namespace

// 8000 completions (the weights' sampling error is then about 0.006), 256 particles each.
TEST(SmcInpainting, OneCoordinateGivenTheOtherMatchesTheExactConditional) {
  const std::vector<double> exact = kFive.conditional_weights(kFive.means, 0, kKnownX);
  Completions c = smc(kFive, known_x(), x_mask(), false, 8000, 256, 1);
  EXPECT_TRUE(at::all(c.x.select(1, 0) == static_cast<double>(static_cast<float>(kKnownX))).item<bool>());
  const std::vector<double> w = mode_weights(kFive, c.x);
  const double weight_error = largest_difference(w, exact);
  auto [distance, floor] = w1_and_floor(c.x.select(1, 1), exact, kFive.means, 1, kFive.stds);
  std::printf("smc, 256 particles, %lld steps: weights %.3f %.3f %.3f (exact %.3f %.3f %.3f), largest error %.4f; W1 "
              "%.4f (floor %.4f); min ESS %.2f, %lld resamplings in %lld moves\n",
              static_cast<long long>(kSteps), w[0], w[1], w[2], exact[0], exact[1], exact[2], weight_error, distance, floor,
              c.summary.min_ess, static_cast<long long>(c.summary.resamplings), static_cast<long long>(c.summary.moves));
  EXPECT_LT(weight_error, 0.02);
  EXPECT_LT(distance, 2 * floor);
  EXPECT_EQ(c.summary.moves, kSteps);
  EXPECT_EQ(c.nfe, 2 * kSteps);  // per step the sampler's evaluation of the batch, and SMC's with its backward pass
  EXPECT_GT(c.summary.resamplings, 0);
}

TEST(SmcInpainting, TheErrorFallsAsParticlesGrowAndReplacementStaysBiased) {
  const std::vector<double> exact = kFive.conditional_weights(kFive.means, 0, kKnownX);
  const std::int64_t n = 4000;  // the weights' sampling error: about 0.008
  auto error = [&](const at::Tensor& x) { return largest_difference(mode_weights(kFive, x), exact); };
  const double one = error(smc(kFive, known_x(), x_mask(), false, n, 1, 2).x);
  const double sixteen = error(smc(kFive, known_x(), x_mask(), false, n, 16, 2).x);
  // Replacement (Song et al. 2021, app. I.2) with the same chain and steps
  auto a = test::assembly(pipeline(kFive));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(2);
  scoregen::SilentProgress progress;
  at::Tensor r = a.sampler->sample(*a.model, {n, 2}, gen, progress,
                                   scoregen::engine::projection_hooks(*a.session.sde, known_x(), x_mask(), false, gen));
  const double replaced = error(r.to(at::kDouble));
  std::printf("largest weight error: replacement %.4f, smc with 1 particle %.4f, with 16 %.4f\n", replaced, one, sixteen);
  EXPECT_GT(replaced, 0.1);  // replacement's bias, far outside the sampling error
  EXPECT_GT(one, 0.1);       // one particle: the proposal alone, as biased
  EXPECT_LT(sixteen, one / 3);
}

TEST(SmcColorization, TheGreyLevelGivenMatchesTheExactConditionalOfTheColours) {
  // A 3-D mixture defined in colorization's decoupled coordinates u = x M (u_0 = grey level times sqrt 3): given
  // u_0 = 0.2, modes remain at (u_1, u_2) = (-3, 0), (2, 2), (1, -3).
  const std::vector<std::vector<double>> u = {{0.0, -3.0, 0.0}, {0.5, 2.0, 2.0}, {-0.4, 1.0, -3.0}, {3.0, 0.0, 0.0}};
  at::Tensor m = scoregen::engine::colorization_matrix();
  Mixture mix{{0.35, 0.30, 0.20, 0.15}, {}, {0.6, 0.8, 0.5, 0.7}};
  for (const auto& row : u) {
    at::Tensor x = at::matmul(at::tensor(row, at::kDouble), m.t());  // x = u M^T
    mix.means.push_back({x[0].item<double>(), x[1].item<double>(), x[2].item<double>()});
  }
  const double grey = 0.2;
  const std::vector<double> exact = mix.conditional_weights(u, 0, grey);
  at::Tensor known = at::matmul(at::tensor({grey, 0.0, 0.0}, at::kDouble), m.t()).to(at::kFloat).reshape({1, 3});
  at::Tensor mask = at::tensor({1.0f, 0.0f, 0.0f}).reshape({1, 3});
  Completions c = smc(mix, known, mask, true, 8000, 64, 3);
  at::Tensor cu = scoregen::engine::decouple(c.x);
  EXPECT_LT((cu.select(1, 0) - grey).abs().max().item<double>(), 1e-5);  // the grey level is the known one
  const std::vector<double> w = mode_weights(mix, c.x);
  const double weight_error = largest_difference(w, exact);
  std::printf("smc colorization, 64 particles: weights %.3f %.3f %.3f (exact %.3f %.3f %.3f), largest error %.4f\n",
              w[0], w[1], w[2], exact[0], exact[1], exact[2], weight_error);
  EXPECT_LT(weight_error, 0.02);
  for (std::size_t d : {1, 2}) {
    auto [distance, floor] = w1_and_floor(cu.select(1, static_cast<std::int64_t>(d)), exact, u, d, mix.stds);
    std::printf("  u%zu: W1 %.4f (floor %.4f)\n", d, distance, floor);
    EXPECT_LT(distance, 2 * floor) << "u" << d;
  }
}
