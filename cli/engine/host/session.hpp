// A loaded pipeline and what every command builds from it first: plugins, device, threads, seed, the SDE and the
// data set.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include "engine/host/pipeline.hpp"
#include "engine/host/process_group.hpp"
#include "engine/host/registry.hpp"
#include "engine/io/checkpoint.hpp"
#include "scoregen/batch_random.hpp"
#include "scoregen/dataset.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

// What a command asks for, from its flags.
struct SessionRequest {
  std::string pipeline_path;              // PIPELINE; empty: the checkpoint's stored pipeline
  std::string checkpoint;                 // --checkpoint (its pipeline is used when there is no PIPELINE)
  Overrides overrides;                    // --set section.key=value, then the command's own flags (typed)
  std::vector<std::string> plugin_paths;  // --plugin-path
  bool quiet = false;                     // no progress bar
  std::chrono::seconds dist_timeout{1800};  // --dist-timeout: how long a data-parallel collective waits for a peer
  std::chrono::seconds rendezvous_timeout{30};  // how long the group waits for its peers to arrive (--dist-timeout)
  std::optional<std::int64_t> steps;        // --steps: the sampler's step count, mapped to its own option
  std::optional<std::string> test_split;    // eval: [data] split = this; empty: the data set's held_out_split
  std::vector<std::string> argv;            // the command line (words after "scoregen"), for records
  std::string base_dir;                     // the folder relative file options are read from; empty: PIPELINE's
  // A pipeline made by the command itself (an import's), named `pipeline_source` in messages; used when set.
  std::string pipeline_text, pipeline_source;
};

// The random streams of a session, one per purpose, all from the pipeline seed. Their numbers fix every output a
// record reruns, so they are written here once (bench/ draws from the same names); a new purpose takes a new number.
enum class Stream : std::uint64_t {
  Samples = 1,              // sample: batch b is item b
  OverlayData = 5,          // sample --overlay: the data examples beneath the scatter plot
  TrainingBatches = 10,     // train: each step's examples and noise (counter-based, docs/scaling.md)
  BenchNetworkOnly = 11,    // bench/training_step_bench.cpp: the network-only step
  DataExamples = 20,        // nll and the latent commands without --data: the examples drawn from [data]
  NllDequantization = 21,   // nll: dequantization noise and Hutchinson probes
  Inpainting = 30,          // inpaint: image i is item i
  EvalSamples = 40,         // eval: the samples scored
  EvalTestBitsPerDim = 41,  // eval: dequantization and probes of the test examples' bits/dim
  EvalExactDraws = 41,      // eval of a known density: the exact draws the samples are held against
  EvalSlicedProjections = 42,  // eval of a known density: the sliced Wasserstein directions
  EvalNllExamples = 43,     // eval of a known density: the examples whose likelihood is computed
  EvalNll = 44,             // eval of a known density: their Hutchinson probes
  EvalKidSubsets = 45,      // eval: the subsets KID averages (item 0: Inception features, 1: the classifier's)
  TrainingPreviews = 60,    // train: the preview pictures, step s is item s
  AutoSigmaMax = 99,        // sigma_max = "auto": the data examples whose largest distance sets it
};

struct Session {
  std::shared_ptr<Registry> registry;
  std::unique_ptr<Pipeline> pipeline;
  at::Device device = at::kCPU;
  at::ScalarType precision = at::kFloat;  // the network's arithmetic (top-level `precision`)
  std::int64_t seed = 0;
  bool quiet = false;
  std::shared_ptr<Sde> sde;
  std::shared_ptr<Dataset> data;  // null when the pipeline has no [data]
  std::shared_ptr<ProcessGroup> group = std::make_shared<ProcessGroup>();  // a group of one unless torchrun made one
  std::vector<std::string> argv;  // the command line, for records
  std::string base_dir;           // the pipeline's folder (the checkpoint's, for a stored pipeline)

  BuildContext context() const;
  // One independent, reproducible stream per purpose (data, noise, ...) and per work item (a batch, an image), all
  // from the pipeline seed: item i's draws do not depend on which process handles it, nor on the items before it.
  at::Generator generator(Stream stream, std::uint64_t item = 0) const;
  // Counter-based draws for `count` examples from `first` (docs/scaling.md), keyed by the seed and `stream`.
  BatchRandom batch_random(Stream stream, std::int64_t count, std::uint64_t step = 0, std::int64_t first = 0) const;
  bool sets_threads = false;  // opened for a command (open_session(request)): settle_threads may choose the count
  // The checkpoint at `path`, opened and checked once for the whole command: its stored pipeline, its tables, its
  // weights and its step in a record all come from that one opening (the files a command reads do not change under it).
  const CheckpointFile& checkpoint(const std::string& path) const;
  mutable std::map<std::string, std::shared_ptr<const CheckpointFile>> checkpoints;
};

// The split a data set holds out for testing: `given` (--test-split) when set, else its `split` option's "test" (a
// folder of images) or "t10k" (MNIST's IDX files), whichever the option allows. An error when [data] has no split.
std::string held_out_split(const Pipeline& p, const std::string& given);

// Loads plugins and the pipeline (PIPELINE, else the checkpoint's stored pipeline) with the overrides; sets
// threads, device and seed; builds the data set and the SDE.
Session open_session(const SessionRequest& request);
// The same from a parsed pipeline and the registry it was parsed with (tests, benchmarks, a second pipeline);
// leaves LibTorch's thread count alone.
Session open_session(std::shared_ptr<Registry> registry, Pipeline pipeline);
// The built-in plugins, loaded once per process (tests and benchmarks).
std::shared_ptr<Registry> builtin_registry();
// Where the built-in pipelines are (source tree or install prefix).
std::string pipelines_dir();

}  // namespace scoregen::engine
