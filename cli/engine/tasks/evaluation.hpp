// `scoregen eval`: sample quality in the feature space of a trained time-dependent classifier (a Frechet
// distance, not the Inception FID) with the class entropy of the samples, and/or the Inception network's FID, KID
// and IS (inception_evaluation.hpp), and bits/dim of test examples; or, for data that know their density (toy
// mixtures) and neither network, the exact judgement of known_density_evaluation.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/report.hpp"
#include "engine/tasks/inception_evaluation.hpp"

namespace scoregen::engine {

struct EvalRequest {
  SessionRequest session;
  AssemblyRequest assembly;          // the score model; class_label: guide with the evaluation classifier itself
  std::string classifier_pipeline;   // --classifier (default: the pipeline stored in its checkpoint)
  std::string classifier_checkpoint;
  std::string test_split;            // --test-split: the split of both [data] tables used as the test set ("": the
                                     // data set's held-out split, held_out_split)
  InceptionRequest inception;        // --inception, --fid-ref: FID, KID and IS (inception_evaluation.hpp)
  std::string out;                   // --out: the report as a text file, with its record
};
// [eval] num, batch_size and nll_num come from the pipeline and the overrides.
Report evaluate(const EvalRequest& request);

}  // namespace scoregen::engine
