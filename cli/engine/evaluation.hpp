// `scoregen eval`: sample quality in the feature space of a trained time-dependent classifier (a Frechet
// distance, NOT the Inception FID), the class entropy of the samples, and bits/dim of test examples.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/assemble.hpp"
#include "engine/session.hpp"

namespace scoregen::engine {

struct EvalRequest {
  SessionRequest session;
  AssemblyRequest assembly;          // the score model; class_label: guide with the evaluation classifier itself
  std::string classifier_pipeline;   // --classifier (default: the pipeline stored in its checkpoint)
  std::string classifier_checkpoint;
  std::int64_t num = 1000, batch = 250, nll_num = 64;
  std::string test_split = "t10k";
};
int evaluate(const EvalRequest& request);

}  // namespace scoregen::engine
