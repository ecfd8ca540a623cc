// Counter-based random numbers for a batch of examples (Philox4x32-10, Salmon et al. 2011, "Parallel random numbers:
// as easy as 1, 2, 3"). Every number drawn for example p at step k is a function of (seed, k, p, draw, element), so a
// global batch split across processes draws exactly what one process draws for the whole batch, and a run resumed at
// step k draws what it would have drawn.
#pragma once

#include <array>
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"

namespace scoregen {

// The Philox4x32-10 bijection: 128 random bits for each (counter, key).
SCOREGEN_API std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::uint32_t k0,
                                                        std::uint32_t k1);

class SCOREGEN_API BatchRandom {
 public:
  // Examples [first, first + count) of the global batch of step `step`.
  BatchRandom(std::uint64_t seed, std::uint64_t step, std::int64_t first, std::int64_t count);

  std::int64_t first() const { return first_; }
  std::int64_t count() const { return count_; }
  // Each call is a new, independent draw: [count, shape...] on the CPU in the requested dtype, then moved to its device.
  at::Tensor normal(at::IntArrayRef shape, const at::TensorOptions& options);
  at::Tensor uniform(at::IntArrayRef shape, const at::TensorOptions& options);  // in [0, 1)
  at::Tensor rademacher(at::IntArrayRef shape, const at::TensorOptions& options);
  at::Tensor normal_like(const at::Tensor& batch) { return normal(batch.sizes().slice(1), batch.options()); }
  at::Tensor rademacher_like(const at::Tensor& batch) { return rademacher(batch.sizes().slice(1), batch.options()); }
  // [count] int64 uniform in [0, high).
  at::Tensor integers(std::int64_t high);
  // A dropout mask [count, shape...] in `options`' dtype: 1 / keep with probability keep, else 0. Four decisions per
  // Philox call from 32-bit integers, in one pass: the masks of a U-Net step cost a few ms, not tens.
  at::Tensor keep_mask(at::IntArrayRef shape, double keep, const at::TensorOptions& options);
  // [count] int64 drawn from the probabilities [K] (normalised here).
  at::Tensor categorical(const at::Tensor& probs);

  // The draws of the current training step, for layers that draw per example (example_dropout); null outside a step.
  static BatchRandom* current();
  class Scope {  // makes `r` current while it lives
   public:
    explicit Scope(BatchRandom& r);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BatchRandom* previous_;
  };

 private:
  // Uniform doubles in [0, 1): per example, `per_example` of them (rounded up to even), from one new draw index.
  at::Tensor uniform_doubles(std::int64_t per_example);
  // Calls emit(i, philox(counter)) for unit i of every example (units per example), one new draw index.
  template <class Emit>
  void for_each_counter(std::int64_t units, Emit emit);
  std::uint64_t key_, step_;
  std::int64_t first_, count_;
  std::uint32_t draw_ = 0;
};

// Dropout with probability p whose masks come from the current step's BatchRandom (so data-parallel runs drop what
// one process drops); LibTorch's dropout outside a training step; the identity when not training.
SCOREGEN_API at::Tensor example_dropout(const at::Tensor& x, double p, bool training);

}  // namespace scoregen
