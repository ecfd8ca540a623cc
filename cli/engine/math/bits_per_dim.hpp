// Log-likelihood and bits/dim of a set of examples through the probability-flow ODE (shared by `nll` and `eval`),
// with the dequantization and offset conventions of docs/formulas.md "Likelihood".
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/math/likelihood.hpp"

namespace scoregen::engine {

struct BitsPerDimOptions {
  LikelihoodOptions ode;
  std::int64_t batch = 128;     // examples per ODE solve
  bool eight_bit = false;       // the examples are 8-bit data (images) in model space
  std::int64_t dequantize = 0;  // uniform dequantization draws per example (8-bit data; 0: none)
  bool dequantized = false;     // 8-bit data dequantized already ((k + U) / 256 in model space): the offset, no draws
  bool progress = true;
};

struct BitsPerDim {
  at::Tensor logp;  // [N] nats per example (mean over dequantization draws), float64
  at::Tensor bpd;   // [N]
  double offset = 0;
  std::string convention;  // one line saying how bits/dim was computed
  std::int64_t nfe = 0;
  double seconds = 0;
  // mean and standard error of a per-example tensor
  static std::pair<double, double> mean_se(const at::Tensor& v);
};

// Batch b of dequantization round k draws (its dequantization noise, its Hutchinson probes) from the session's
// generator (stream, k * batches + b); batches are dealt to the ranks of a group and summed back.
BitsPerDim bits_per_dim(Assembly& a, const at::Tensor& examples, const BitsPerDimOptions& options, Stream stream);

}  // namespace scoregen::engine
