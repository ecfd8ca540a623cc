// `scoregen score`: the model's score s(x, t) (or its network's own output) at given examples and times, the first
// thing to compare with another implementation after an import (README "Coming from score_sde_pytorch").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct ScoreRequest {
  SessionRequest session;
  AssemblyRequest assembly;
  std::string data_file;      // --data: the examples x (.npy/.pt), [N, ...]
  std::vector<double> times;  // -t/--times: each time is applied to every example
  std::string out;            // .npy or .pt, [T, N, ...]; its record is OUT.toml
  bool raw = false;           // --raw: the network's own output (its prediction) instead of the score
  std::int64_t batch = 0;     // examples per evaluation (0: all)
};
Report score_values(const ScoreRequest& request);

}  // namespace scoregen::engine
