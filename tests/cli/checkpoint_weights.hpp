// The parameters of a training checkpoint (network, then EMA, then a consistency objective's target network), loaded through the engine: what CLI tests compare.
#pragma once

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "engine/host/session.hpp"
#include "engine/io/checkpoint.hpp"
#include "scoregen/network.hpp"

namespace cli {

inline std::vector<at::Tensor> checkpoint_weights(const std::string& ckpt) {
  auto registry = scoregen::engine::builtin_registry();
  auto s = scoregen::engine::open_session(
      registry, scoregen::engine::Pipeline::parse(scoregen::engine::checkpoint_pipeline(ckpt), ckpt, {}, *registry,
                                                  scoregen::engine::PipelineOrigin::Stored));
  auto net = s.pipeline->create_as<scoregen::Network>("network", s.context());
  auto st = scoregen::engine::load_checkpoint(ckpt, net.get(), nullptr);
  std::vector<at::Tensor> out;
  for (const auto& t : net->parameters()) out.push_back(t.detach().clone());
  for (const auto& t : st.ema) out.push_back(t);
  for (const auto& t : st.target) out.push_back(t);
  return out;
}

}  // namespace cli
