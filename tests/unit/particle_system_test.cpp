// The particle bookkeeping SMC guidance and inpainting share: effective sample sizes (Kong et al. 1994) of known
// weights, their smallest and median over a run, and systematic resampling's ancestors.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "engine/particle_system.hpp"

namespace {

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
