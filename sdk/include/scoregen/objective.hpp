// Score-matching objectives selected by [train] objective (REFERENCE.md "Training objectives").
#pragma once

#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "scoregen/dataset.hpp"
#include "scoregen/network.hpp"
#include "scoregen/options.hpp"
#include "scoregen/sde.hpp"

namespace scoregen {

class SCOREGEN_API Objective {
 public:
  virtual ~Objective();
  // The mean loss over the batch (a scalar with a graph back to the network's parameters).
  virtual at::Tensor loss(Network& network, const Batch& batch, at::Generator gen) = 0;
  virtual std::string describe() const = 0;
};

// Builds the objective named by the [train] table (objective, weighting, reduction, probe, n_probes).
// Checks that it fits the SDE (ncsn needs a VE ladder, ddpm a VP chain, esm low dimensions).
SCOREGEN_API std::unique_ptr<Objective> make_objective(const Options& train, std::shared_ptr<Sde> sde,
                                                       std::int64_t data_dim);

namespace objective_detail {
// Training times: t ~ U(train_eps, T) for continuous SDEs, a uniform grid index for discrete ones.
SCOREGEN_API at::Tensor sample_times(const Sde& sde, std::int64_t n, at::Generator gen, const at::TensorOptions& opts);
// A perturbed batch x_t = a(t) x0 + std(t) z at training times t (float like x0).
struct Perturbed {
  at::Tensor t, xt, z, std;  // std: [B]
};
SCOREGEN_API Perturbed perturb(const Sde& sde, const at::Tensor& x0, at::Generator gen);
// Per-example reduction of a [B, ...] tensor: mean over dimensions, or half the sum.
SCOREGEN_API at::Tensor reduce(const at::Tensor& per_dim, bool half_sum);
// The network's output at (x, t) as a score.
SCOREGEN_API at::Tensor score_of(Network& network, Sde& sde, const at::Tensor& x, const at::Tensor& t, const at::Tensor& y);
}  // namespace objective_detail

}  // namespace scoregen
