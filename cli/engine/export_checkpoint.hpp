// `scoregen export`: a small, shippable checkpoint holding only the EMA weights, the pipeline and the step.
#pragma once

#include <string>

#include "engine/session.hpp"

namespace scoregen::engine {

struct ExportRequest {
  SessionRequest session;  // session.checkpoint: the training checkpoint
  std::string out;
};
int export_checkpoint(const ExportRequest& request);

}  // namespace scoregen::engine
