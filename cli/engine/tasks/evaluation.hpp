// `scoregen eval`: sample quality in the feature space of a trained time-dependent classifier (a Frechet
// distance, NOT the Inception FID), the class entropy of the samples, and bits/dim of test examples; or, for data
// that know their density (toy mixtures) and no classifier, the exact judgement of known_density_evaluation.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct EvalRequest {
  SessionRequest session;
  AssemblyRequest assembly;          // the score model; class_label: guide with the evaluation classifier itself
  std::string classifier_pipeline;   // --classifier (default: the pipeline stored in its checkpoint)
  std::string classifier_checkpoint;
  std::string test_split;            // --test-split: the split of both [data] tables used as the test set ("": the
                                     // data set's held-out split, held_out_split)
  std::string out;                   // --out: the report as a text file, with its record
};
// [eval] num, batch_size and nll_num come from the pipeline and the overrides.
Report evaluate(const EvalRequest& request);

}  // namespace scoregen::engine
