// `scoregen train`: a run directory (checkpoint.pt, metrics.jsonl, pipeline.toml) driven by the Trainer, resumed
// when it already holds a checkpoint; Ctrl-C checkpoints and stops.
#pragma once

#include <string>

#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct TrainRequest {
  SessionRequest session;
  std::string run_dir;  // empty: runs/<pipeline name>
  std::string init;     // --init: a new run starts from this checkpoint's weights, EMA and step (a score model's
                        // weights inside a consistency network: ECT's start)
  bool distill = false;  // `scoregen distill`: the [objective] must learn from a teacher
};
Report train(const TrainRequest& request);

}  // namespace scoregen::engine
