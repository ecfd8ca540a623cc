// `scoregen encode`, `decode`, `interpolate`: latent codes along the probability-flow ODE (Song et al. 2021,
// sec. 4.3).
#pragma once

#include <cstdint>
#include <string>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/report.hpp"
#include "scoregen/ode.hpp"

namespace scoregen::engine {

struct LatentRequest {
  SessionRequest session;
  AssemblyRequest assembly;
  double rtol = kOdeTolerance, atol = kOdeTolerance;
  std::string out;
  std::string data_file;  // encode: examples from this file instead of [data]
  std::int64_t num = 16;  // encode: number of examples
  bool num_given = false;  // encode: --num given (then the examples must hold that many)
  std::string latent;     // decode, interpolate: latent codes from encode
  std::int64_t from = 0, to = 1, points = 8;  // interpolate: rows and points along the path (--points)
  std::int64_t batch = 0;  // examples per ODE solve (0: all in one; the adaptive steps depend on the whole batch)
};
Report encode(const LatentRequest& request);
Report decode(const LatentRequest& request);
Report interpolate(const LatentRequest& request);

}  // namespace scoregen::engine
