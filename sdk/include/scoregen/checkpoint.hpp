// Training checkpoints: network, EMA weights, optimizer, step, RNG states and the resolved pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "scoregen/api.hpp"
#include "scoregen/network.hpp"

namespace torch::optim {
class Optimizer;
}

namespace scoregen {

struct CheckpointState {
  std::int64_t step = 0;
  std::string pipeline;             // the resolved pipeline (TOML) that made it
  std::vector<at::Tensor> ema;      // EMA of the parameters, in named_parameters() order (may be empty)
  std::vector<at::Tensor> rng;      // generator states (data, noise)
};

// Writes the checkpoint atomically (temporary name, then rename).
SCOREGEN_API void save_checkpoint(const std::string& path, const CheckpointState& state, torch::nn::Module& network,
                                  torch::optim::Optimizer* optimizer);
// Reads a checkpoint into an already-built network (and optimizer when given); shapes must match.
SCOREGEN_API CheckpointState load_checkpoint(const std::string& path, torch::nn::Module* network,
                                             torch::optim::Optimizer* optimizer);
// Only the resolved pipeline stored in a checkpoint.
SCOREGEN_API std::string checkpoint_pipeline(const std::string& path);
// Copies the EMA weights into the network's parameters (sampling and evaluation use them).
SCOREGEN_API void apply_ema(torch::nn::Module& network, const std::vector<at::Tensor>& ema);

}  // namespace scoregen
