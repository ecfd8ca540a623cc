// `scoregen nll`: log-likelihood and bits/dim of data under the model.
#pragma once

#include <string>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct NllRequest {
  SessionRequest session;  // [nll] num, batch_size, divergence, ... from the pipeline and the overrides
  AssemblyRequest assembly;
  std::string data_file;   // --data: examples from this .npy/.pt instead of [data]
  std::string csv;         // --out: per-example CSV (with its record)
  std::string probes_file; // --probes: Hutchinson probes [K, N, ...] or [N, ...] instead of drawn ones
};
Report nll(const NllRequest& request);

}  // namespace scoregen::engine
