// The particle bookkeeping SMC guidance and inpainting share: effective sample sizes (Kong et al. 1994) of known
// weights, their smallest and median over a run, systematic resampling's ancestors, the evidence estimate, and the
// particle independent Metropolis-Hastings that combines sweeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "engine/math/particle_system.hpp"

namespace {

using scoregen::engine::IndependentMetropolis;
using scoregen::engine::ParticleSystem;

at::Generator generator() { return at::make_generator<at::CPUGeneratorImpl>(5); }

}  // namespace

TEST(ParticleSystem, EffectiveSampleSizesOfKnownWeightsAndTheirMedian) {
  // two systems of four particles; threshold 0 keeps every weight (no resampling)
  ParticleSystem p(2, 4, 0.0, generator());
  // system 0: weights 1, 1, 0, 0 -> ESS 2; system 1: 1, 1, 1, 1 -> ESS 4
  const double zero = -1e300;
  p.reweight(at::tensor({0.0, 0.0, zero, zero, 0.0, 0.0, 0.0, 0.0}, at::kDouble));
  // system 0 unchanged (ESS 2); system 1 to 3, 1, 0, 0 (times the earlier 1s): ESS 16 / 10 = 1.6
  p.reweight(at::tensor({0.0, 0.0, 0.0, 0.0, std::log(3.0), 0.0, zero, zero}, at::kDouble));
  EXPECT_NEAR(p.summary().min_ess, 1.6, 1e-12);
  // the ESS seen: 2, 4, 2, 1.6 -> the upper median of four, 2
  EXPECT_NEAR(p.summary().median_ess, 2.0, 1e-12);
  EXPECT_EQ(p.summary().moves, 2);
  EXPECT_FALSE(p.resample().defined());
}

TEST(ParticleSystem, SystematicResamplingCopiesParticlesInProportionToTheirWeights) {
  // one system of 8 particles, weights 4 : 2 : 1 : 1 : 0 ...: systematic resampling gives exactly 4, 2, 1, 1 copies
  ParticleSystem p(1, 8, 1.0, generator());
  const double zero = -1e300;
  p.reweight(at::tensor({std::log(4.0), std::log(2.0), 0.0, 0.0, zero, zero, zero, zero}, at::kDouble));
  at::Tensor rows = p.resample();
  ASSERT_TRUE(rows.defined());
  at::Tensor counts = at::bincount(rows, {}, 8);
  EXPECT_TRUE(at::equal(counts, at::tensor({4, 2, 1, 1, 0, 0, 0, 0}, counts.options()))) << counts;
  EXPECT_EQ(p.summary().resamplings, 1);
  EXPECT_NEAR(p.summary().median_ess, 64.0 / 22.0, 1e-12);  // (4+2+1+1)^2 / (16+4+1+1), before resampling
}

TEST(ParticleSystem, TheEvidenceIsTheProductOfTheMeanIncrementalWeightsBetweenResamplings) {
  const at::Tensor a = at::tensor({0.3, -1.2, 0.8, 0.0}, at::kDouble), b = at::tensor({-0.5, 0.4, 1.1, -2.0}, at::kDouble);
  // no resampling: Z = mean_i exp(a_i + b_i), the weights simply multiply
  ParticleSystem kept(1, 4, 0.0, generator());
  kept.reweight(a);
  kept.reweight(b);
  EXPECT_NEAR(kept.log_evidence().item<double>(), std::log((a + b).exp().mean().item<double>()), 1e-12);
  // resampling in between (threshold 1: always): Z = mean_i exp(a_i) mean_i exp(b_i)
  ParticleSystem resampled(1, 4, 1.0, generator());
  resampled.reweight(a);
  ASSERT_TRUE(resampled.resample().defined());
  resampled.reweight(b);
  EXPECT_NEAR(resampled.log_evidence().item<double>(),
              std::log(a.exp().mean().item<double>() * b.exp().mean().item<double>()), 1e-12);
}

TEST(IndependentMetropolis, SweepsDrawnFromQAndWeighedByPiOverQFollowPi) {
  // An independence sampler on three states: each "sweep" draws a state from q and reports log Z = log pi / q. The
  // chain's stationary law is pi, and its acceptance is sum_x sum_y pi(x) q(y) min(1, w(y) / w(x)), w = pi / q.
  const std::vector<double> q{0.5, 0.3, 0.2}, pi{0.2, 0.3, 0.5};
  const std::int64_t groups = 40000, sweeps = 30;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
  IndependentMetropolis chain(gen);
  const at::Tensor log_w = (at::tensor(pi, at::kDouble) / at::tensor(q, at::kDouble)).log();
  at::Tensor first;
  for (std::int64_t s = 0; s < sweeps; ++s) {
    at::Tensor states = at::multinomial(at::tensor(q, at::kDouble), groups, true, gen);
    chain.offer({states.to(at::kDouble)}, log_w.index_select(0, states));
    if (s == 0) first = chain.current()[0].clone();
  }
  const at::Tensor last = chain.current()[0];
  double acceptance = 0;
  for (std::size_t x = 0; x < 3; ++x)
    for (std::size_t y = 0; y < 3; ++y)
      acceptance += pi[x] * q[y] * std::min(1.0, (pi[y] / q[y]) / (pi[x] / q[x]));
  for (int k = 0; k < 3; ++k) {
    // 40000 draws: a standard error below 0.0025 per frequency
    EXPECT_NEAR((last == k).to(at::kDouble).mean().item<double>(), pi[static_cast<std::size_t>(k)], 0.01) << k;
    EXPECT_NEAR((first == k).to(at::kDouble).mean().item<double>(), q[static_cast<std::size_t>(k)], 0.01) << k;
  }
  // the mean acceptance over sweeps 2..30 starts from q, not pi: within 0.02 of the stationary value
  EXPECT_NEAR(chain.acceptance(), acceptance, 0.02);
  EXPECT_EQ(chain.sweeps(), sweeps);
}
