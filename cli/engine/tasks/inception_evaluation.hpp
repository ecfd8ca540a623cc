// `scoregen eval --inception`: the sample-quality numbers papers report, in the features of the 2015 Inception
// network: FID (against --fid-ref statistics or the test examples), KID against the test examples, and IS.
#pragma once

#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "engine/host/assemble.hpp"
#include "engine/host/command_settings.hpp"
#include "engine/io/report.hpp"
#include "engine/math/fid_statistics.hpp"
#include "engine/math/inception_network.hpp"

namespace scoregen::engine {

struct InceptionRequest {
  std::string inception;  // --inception: the TorchScript network (math/inception_network.hpp)
  std::string fid_ref;    // --fid-ref: the reference's mu and sigma (.npz); empty: the first num test examples'
};

// The network and the reference, loaded and checked before any sample is drawn.
class InceptionEvaluation {
 public:
  InceptionEvaluation(const InceptionRequest& r, const Session& s, const EvalSettings& settings);
  ~InceptionEvaluation();
  // Adds FID, its floor at this N (two disjoint blocks of test examples, when the test set holds 2 num), KID and IS
  // of `samples` (model space, [num, C, H, W]) to `report`, lines and JSON fields, each with its sample count. The
  // test examples are those of the session's [data] (eval's test split).
  void report(Report& report, const Assembly& a, const at::Tensor& samples) const;

 private:
  InceptionRequest request_;
  EvalSettings settings_;
  std::unique_ptr<InceptionNetwork> network_;
  FidStatistics given_;  // --fid-ref's (undefined without it)
};

}  // namespace scoregen::engine
