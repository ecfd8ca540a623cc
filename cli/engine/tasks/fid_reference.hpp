// `scoregen fid-ref`: the Inception statistics (mu, sigma) of a data set, written as the .npz that pytorch-fid,
// clean-fid and EDM write and read, for `scoregen eval --fid-ref` or any of those tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct FidReferenceRequest {
  SessionRequest session;  // the pipeline whose [data] is summarized (test_split: --split)
  std::string inception;   // --inception FILE
  std::int64_t num = 0;    // --num: the first N examples (0: all)
  std::int64_t batch = 250;
  std::string out;         // --out FILE.npz, with its record
};
Report write_fid_reference(const FidReferenceRequest& r);

}  // namespace scoregen::engine
