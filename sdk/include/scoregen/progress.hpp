// How long work reports its progress and notices an interrupt. The host supplies the Progress (a bar on a
// terminal, plain lines in logs); samplers only call update() and poll interrupt_requested().
#pragma once

#include <cstdint>
#include <string>

#include "scoregen/api.hpp"

namespace scoregen {

class SCOREGEN_API Progress {
 public:
  virtual ~Progress();
  // `done` of the total the host was told; `extra` is shown after the rate (e.g. "loss 0.123").
  virtual void update(std::int64_t done, const std::string& extra) = 0;
  void update(std::int64_t done) { update(done, std::string()); }
};

// Reports nothing (tests, benchmarks, inner loops).
class SCOREGEN_API SilentProgress : public Progress {
 public:
  using Progress::update;
  void update(std::int64_t, const std::string&) override {}
};

// Set by the host's signal handler (Ctrl-C); long loops poll it and stop cleanly by throwing Interrupted.
SCOREGEN_API bool interrupt_requested();
SCOREGEN_API void request_interrupt();
// Throws Interrupted when an interrupt was requested: what every loop that can run longer than a second calls on each
// pass (samplers per step, ODE solvers per evaluation, the exact divergence per backward pass).
SCOREGEN_API void throw_if_interrupted();

}  // namespace scoregen
