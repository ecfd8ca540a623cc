// `scoregen export`: a small, shippable checkpoint holding only the EMA weights, the pipeline and the step; or, with
// --torchscript, a TorchScript module whose forward(x, t) is the score, usable from Python without scoregen.
#pragma once

#include <string>

#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct ExportRequest {
  SessionRequest session;  // session.checkpoint: the training checkpoint
  std::string out;
  bool torchscript = false;
};
Report export_checkpoint(const ExportRequest& request);

}  // namespace scoregen::engine
