// Counter-based draws: Philox4x32-10 against its published known answers; a batch split into parts draws what the
// whole batch draws (what data-parallel training relies on); the distributions have their moments.
#include <gtest/gtest.h>

#include "scoregen/batch_random.hpp"
#include "support.hpp"

TEST(BatchRandom, PhiloxKnownAnswers) {
  // Salmon et al. 2011, Random123 kat_vectors: philox4x32 with 10 rounds
  using C = std::array<std::uint32_t, 4>;
  EXPECT_EQ(scoregen::philox4x32_10({0, 0, 0, 0}, 0, 0), (C{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(scoregen::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff),
            (C{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(scoregen::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0),
            (C{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(BatchRandom, ASplitBatchDrawsWhatTheWholeBatchDraws) {
  scoregen::BatchRandom whole(42, 17, 0, 10), left(42, 17, 0, 4), right(42, 17, 4, 6);
  for (int call = 0; call < 3; ++call) {
    at::Tensor w = whole.normal({3, 5}, at::kFloat), l = left.normal({3, 5}, at::kFloat), r = right.normal({3, 5}, at::kFloat);
    EXPECT_TRUE(at::equal(w, at::cat({l, r}))) << "call " << call;
  }
  EXPECT_TRUE(at::equal(whole.integers(1000), at::cat({left.integers(1000), right.integers(1000)})));
  EXPECT_TRUE(at::equal(whole.keep_mask({7, 3}, 0.9, at::kFloat),
                        at::cat({left.keep_mask({7, 3}, 0.9, at::kFloat), right.keep_mask({7, 3}, 0.9, at::kFloat)})));
  // another step, another draw index or another seed gives other numbers
  scoregen::BatchRandom next_step(42, 18, 0, 10), other_seed(43, 17, 0, 10);
  at::Tensor a = scoregen::BatchRandom(42, 17, 0, 10).uniform({8}, at::kDouble);
  EXPECT_FALSE(at::equal(a, next_step.uniform({8}, at::kDouble)));
  EXPECT_FALSE(at::equal(a, other_seed.uniform({8}, at::kDouble)));
}

TEST(BatchRandom, MomentsOfEachDistribution) {
  scoregen::BatchRandom rng(5, 0, 0, 1000);
  at::Tensor z = rng.normal({200}, at::kDouble);
  // 2e5 standard normals: mean within 4 standard errors, variance and fourth moment near 1 and 3
  EXPECT_LT(std::abs(z.mean().item<double>()), 4.0 / std::sqrt(2e5));
  EXPECT_NEAR(z.var().item<double>(), 1.0, 0.02);
  EXPECT_NEAR(z.pow(4).mean().item<double>(), 3.0, 0.1);
  at::Tensor u = rng.uniform({200}, at::kDouble);
  EXPECT_GE(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.005);
  EXPECT_NEAR(u.var().item<double>(), 1.0 / 12.0, 0.002);
  at::Tensor k = scoregen::BatchRandom(6, 0, 0, 100000).categorical(at::tensor({0.2, 0.5, 0.3}, at::kDouble));
  at::Tensor freq = at::bincount(k, {}, 3).to(at::kDouble) / 1e5;
  EXPECT_TRUE(at::allclose(freq, at::tensor({0.2, 0.5, 0.3}, at::kDouble), 0, 0.01)) << freq;
  // dropout masks: exactly 0 or 1 / keep, kept with probability keep (2e5 decisions: within 5 standard errors)
  at::Tensor m = rng.keep_mask({200}, 0.8, at::kFloat);
  EXPECT_TRUE(at::all((m == 0) | (m == static_cast<float>(1 / 0.8))).item<bool>());
  EXPECT_NEAR((m > 0).to(at::kDouble).mean().item<double>(), 0.8, 5 * std::sqrt(0.8 * 0.2 / 2e5));
  at::Tensor v = rng.rademacher({200}, at::kFloat);
  EXPECT_TRUE(at::all((v == 1) | (v == -1)).item<bool>());
  EXPECT_NEAR(v.mean().item<double>(), 0.0, 0.01);
}

TEST(BatchRandom, EveryDrawIsThePhiloxOfItsDocumentedCounter) {
  // The draws are computed many counters at a time; each must be philox4x32_10 of (unit, example, step, draw) keyed
  // by splitmix64(seed) (Steele et al. 2014), here recomputed one counter at a time. 3 examples x 37 units: blocks
  // that straddle examples and a partial last block.
  const std::uint64_t seed = 9, step = 4;
  std::uint64_t key = seed + 0x9E3779B97F4A7C15ULL;
  key = (key ^ (key >> 30)) * 0xBF58476D1CE4E5B9ULL;
  key = (key ^ (key >> 27)) * 0x94D049BB133111EBULL;
  key ^= key >> 31;
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  scoregen::BatchRandom rng(seed, step, 5, 3);
  at::Tensor first = rng.uniform({74}, at::kDouble);  // draw 0: 37 pairs per example, 2 doubles from each counter
  at::Tensor mask = rng.keep_mask({148}, 0.5, at::kFloat);  // draw 1: 37 quads per example, 4 decisions each
  for (std::uint32_t p = 0; p < 3; ++p)
    for (std::uint32_t u = 0; u < 37; ++u) {
      const auto r0 = scoregen::philox4x32_10({u, 5 + p, step, 0}, k0, k1);
      const double expect = static_cast<double>(((static_cast<std::uint64_t>(r0[0]) << 32) | r0[1]) >> 11) * 0x1.0p-53;
      ASSERT_EQ(first[p][2 * u].item<double>(), expect) << "example " << p << " unit " << u;
      const auto r1 = scoregen::philox4x32_10({u, 5 + p, step, 1}, k0, k1);
      for (int j = 0; j < 4; ++j)
        ASSERT_EQ(mask[p][4 * u + j].item<float>() > 0, r1[j] < (1ULL << 31)) << "example " << p << " unit " << u;
    }
}
