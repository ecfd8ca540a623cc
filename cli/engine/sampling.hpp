// Sampling in batches (shared by `sample` and `eval`) and the `sample` command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/assemble.hpp"
#include "engine/session.hpp"

namespace scoregen::engine {

struct Drawn {
  at::Tensor samples;  // model space, on the CPU
  std::int64_t batches = 0;
  std::int64_t nfe_per_batch = 0;
  double seconds = 0;
};
// `num` samples in batches of `batch` with the assembly's sampler; batch b draws from the session's generator
// (stream, b), whichever rank of a group samples it: the batches are dealt to the ranks and summed back, so every
// rank ends with all samples, the same as one process would draw. Non-finite values are an error.
Drawn draw_samples(Assembly& a, std::int64_t num, std::int64_t batch, std::uint64_t stream);

struct SampleRequest {
  SessionRequest session;  // [sample] num, batch_size, out come from the pipeline and the overrides
  AssemblyRequest assembly;
};
// `scoregen sample`: draws [sample] num samples and writes [sample] out with its record beside it.
int sample(const SampleRequest& request);

// Writes `<out>.toml`: how `out` was made (the command and the resolved pipeline).
void write_record(const std::string& out, const std::string& command, const Pipeline& pipeline);

}  // namespace scoregen::engine
