// Philox4x32-10 (Salmon, Moraes, Dror, Shaw 2011) keyed by the seed, counted by (pair, example, step, draw); uniforms
// from 53 bits, normals by Box-Muller.
#include "scoregen/batch_random.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/accumulate.h>

#include "scoregen/random.hpp"

namespace scoregen {

namespace {

thread_local BatchRandom* g_current = nullptr;

using Counter = std::array<std::uint32_t, 4>;

}  // namespace

Counter philox4x32_10(Counter c, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint64_t M0 = 0xD2511F53, M1 = 0xCD9E8D57;
  constexpr std::uint32_t W0 = 0x9E3779B9, W1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    // (hi, lo) = M c: c' = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0), then the key is bumped by the Weyl constants
    const std::uint64_t p0 = M0 * c[0], p1 = M1 * c[2];
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k0, static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k1, static_cast<std::uint32_t>(p0)};
    k0 += W0, k1 += W1;
  }
  return c;
}

namespace {

double to_unit(std::uint32_t hi, std::uint32_t lo) {
  // 53 random bits -> [0, 1)
  return static_cast<double>(((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11) * 0x1.0p-53;
}

std::vector<std::int64_t> batch_shape(std::int64_t count, at::IntArrayRef shape) {
  std::vector<std::int64_t> out{count};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

}  // namespace

BatchRandom::BatchRandom(std::uint64_t seed, std::uint64_t step, std::int64_t first, std::int64_t count)
    : key_(splitmix64(seed)), step_(step), first_(first), count_(count) {}

namespace {

constexpr int kLanes = 16;

// Philox4x32-10 on kLanes counters at once, as structure-of-arrays so the rounds vectorize (each lane is the scalar
// philox4x32_10 above: the same numbers, several times faster); built for AVX-512, AVX2 and the baseline, chosen at
// load time.
__attribute__((target_clones("avx512f", "avx2", "default"))) void philox_lanes(std::uint32_t (&c)[4][kLanes],
                                                                             std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint64_t M0 = 0xD2511F53, M1 = 0xCD9E8D57;
  constexpr std::uint32_t W0 = 0x9E3779B9, W1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    for (int l = 0; l < kLanes; ++l) {
      const std::uint64_t p0 = M0 * c[0][l], p1 = M1 * c[2][l];
      const std::uint32_t c1 = c[1][l], c3 = c[3][l];
      c[0][l] = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0, c[1][l] = static_cast<std::uint32_t>(p1);
      c[2][l] = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1, c[3][l] = static_cast<std::uint32_t>(p0);
    }
    k0 += W0, k1 += W1;
  }
}

}  // namespace

template <class Emit>
void BatchRandom::for_each_counter(std::int64_t units, Emit emit) {
  // unit u of example p of this share is the counter (u, first + p, step, draw): one call per unit, in any order.
  const std::uint32_t draw = draw_++;
  const auto k0 = static_cast<std::uint32_t>(key_), k1 = static_cast<std::uint32_t>(key_ >> 32);
  const std::int64_t blocks = (count_ * units + kLanes - 1) / kLanes, total = count_ * units;
  at::parallel_for(0, blocks, 256, [&](std::int64_t begin, std::int64_t end) {
    std::uint32_t c[4][kLanes];
    for (std::int64_t b = begin; b < end; ++b) {
      const std::int64_t i0 = b * kLanes;
      for (int l = 0; l < kLanes; ++l) {
        const std::int64_t i = std::min(i0 + l, total - 1);
        c[0][l] = static_cast<std::uint32_t>(i % units), c[1][l] = static_cast<std::uint32_t>(first_ + i / units);
        c[2][l] = static_cast<std::uint32_t>(step_), c[3][l] = draw;
      }
      philox_lanes(c, k0, k1);
      for (int l = 0; l < kLanes && i0 + l < total; ++l) emit(i0 + l, Counter{c[0][l], c[1][l], c[2][l], c[3][l]});
    }
  });
}

at::Tensor BatchRandom::uniform_doubles(std::int64_t per_example) {
  const std::int64_t pairs = (per_example + 1) / 2;
  at::Tensor out = at::empty({count_, 2 * pairs}, at::kDouble);
  double* data = out.data_ptr<double>();
  for_each_counter(pairs, [data](std::int64_t i, const Counter& r) {
    data[2 * i] = to_unit(r[0], r[1]);
    data[2 * i + 1] = to_unit(r[2], r[3]);
  });
  return out;
}

at::Tensor BatchRandom::keep_mask(at::IntArrayRef shape, double keep, const at::TensorOptions& options) {
  const std::int64_t m = c10::multiply_integers(shape), quads = (m + 3) / 4;
  at::Tensor out = at::empty({count_, 4 * quads}, at::kFloat);
  float* data = out.data_ptr<float>();
  // keep when u < keep 2^32, u a uniform 32-bit integer
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(keep, 32));
  const auto scale = static_cast<float>(1.0 / keep);
  for_each_counter(quads, [=](std::int64_t i, const Counter& r) {
    for (int j = 0; j < 4; ++j) data[4 * i + j] = r[j] < threshold ? scale : 0.0f;
  });
  return out.narrow(1, 0, m).reshape(batch_shape(count_, shape)).to(options);
}

at::Tensor BatchRandom::uniform(at::IntArrayRef shape, const at::TensorOptions& options) {
  const std::int64_t m = c10::multiply_integers(shape);
  return uniform_doubles(m).narrow(1, 0, m).reshape(batch_shape(count_, shape)).to(options);
}

at::Tensor BatchRandom::normal(at::IntArrayRef shape, const at::TensorOptions& options) {
  const std::int64_t m = c10::multiply_integers(shape);
  at::Tensor u = uniform_doubles(m);
  at::Tensor u1 = u.slice(1, 0, u.size(1), 2), u2 = u.slice(1, 1, u.size(1), 2);
  // Box-Muller: r = sqrt(-2 ln(1 - u1)), (r cos 2 pi u2, r sin 2 pi u2)
  at::Tensor r = at::sqrt(-2.0 * at::log1p(-u1)), a = 2.0 * M_PI * u2;
  at::Tensor z = at::stack({r * at::cos(a), r * at::sin(a)}, 2).reshape({count_, -1});
  return z.narrow(1, 0, m).reshape(batch_shape(count_, shape)).to(options);
}

at::Tensor BatchRandom::rademacher(at::IntArrayRef shape, const at::TensorOptions& options) {
  return (at::where(uniform(shape, at::kDouble) < 0.5, 1.0, -1.0)).to(options);
}

at::Tensor BatchRandom::integers(std::int64_t high) {
  return at::floor(uniform_doubles(1).select(1, 0) * static_cast<double>(high)).clamp_max(static_cast<double>(high - 1)).to(at::kLong);
}

at::Tensor BatchRandom::categorical(const at::Tensor& probs) {
  at::Tensor cdf = at::cumsum(probs.to(at::kDouble).cpu() / probs.to(at::kDouble).sum(), 0);
  at::Tensor u = uniform_doubles(1).select(1, 0).contiguous();
  // the first k with u < cdf_k
  return at::searchsorted(cdf, u, false, true).clamp_max(probs.size(0) - 1);
}

BatchRandom* BatchRandom::current() { return g_current; }
BatchRandom::Scope::Scope(BatchRandom& r) : previous_(g_current) { g_current = &r; }
BatchRandom::Scope::~Scope() { g_current = previous_; }

at::Tensor example_dropout(const at::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  BatchRandom* r = BatchRandom::current();
  if (!r || r->count() != x.size(0)) return at::dropout(x, p, true);
  // keep with probability 1 - p, scaled by 1 / (1 - p)
  return x * r->keep_mask(x.sizes().slice(1), 1.0 - p, x.options());
}

}  // namespace scoregen
