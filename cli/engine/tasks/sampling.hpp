// Sampling in batches (shared by `sample` and `eval`) and the `sample` command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "engine/host/assemble.hpp"
#include "engine/host/record.hpp"
#include "engine/host/session.hpp"
#include "engine/io/image_io.hpp"
#include "engine/io/report.hpp"
#include "engine/math/particle_system.hpp"

namespace scoregen::engine {

struct Drawn {
  at::Tensor samples;  // model space, on the CPU
  std::int64_t batches = 0;
  std::int64_t nfe_per_batch = 0;
  double seconds = 0;
  // Guidance by SMC: what its systems and sweeps tell the user, and the classifier evaluations summed over all.
  SmcDiagnostics smc;
  std::int64_t classifier_evaluations = 0;
};
// `num` samples in batches of `batch` with the assembly's sampler; batch b draws from the session's generator
// (stream, b), whichever rank of a group samples it: the batches are dealt to the ranks and summed back, so every
// rank ends with all samples, the same as one process would draw. Non-finite values are an error. Under guidance
// by SMC each sample is one particle of its own system of K: a batch runs batch x K particles.
Drawn draw_samples(Assembly& a, std::int64_t num, std::int64_t batch, Stream stream);

// The sampling keys of a --json summary (docs/records.md): sampler, steps, seed, nfe_per_batch, batches, nfe (in
// total) and sample_seconds.
void add_sampling_fields(Report& report, const Assembly& a, const Drawn& d);

struct SampleRequest {
  SessionRequest session;  // [sample] num, batch_size, out come from the pipeline and the overrides
  AssemblyRequest assembly;
  PictureOptions picture;  // --scale, --grid
  bool overlay = false;    // --overlay: the data beneath a 2-D scatter plot
};
// `scoregen sample`: draws [sample] num samples and writes [sample] out with its record beside it.
Report sample(const SampleRequest& request);

// The record inputs of an assembly: its checkpoints.
std::vector<RecordInput> checkpoint_inputs(const AssemblyRequest& request);

}  // namespace scoregen::engine
