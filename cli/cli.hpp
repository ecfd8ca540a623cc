// What the scoregen commands share: common flags, the registry and pipeline they load, device and seed.
#pragma once

#define CXXOPTS_VECTOR_DELIMITER '\x1f'  // --set values may contain commas (TOML arrays)
#include <cxxopts.hpp>

#include <memory>
#include <string>
#include <vector>

#include "scoregen/dataset.hpp"
#include "scoregen/network.hpp"
#include "scoregen/pipeline.hpp"
#include "scoregen/registry.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::cli {

int run_plugins(int argc, char** argv);
int run_sample(int argc, char** argv);
int run_train(int argc, char** argv);
int run_nll(int argc, char** argv);
int run_inpaint(int argc, char** argv);
int run_encode(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_export(int argc, char** argv);
int run_decode(int argc, char** argv);
int run_interpolate(int argc, char** argv);

// The flags every pipeline command takes: PIPELINE, --set, --plugin-path, --device, --seed, --quiet, --help.
void add_common_options(cxxopts::Options& options);
// Parses argv; prints help and returns false when --help was given. Unknown flags are errors.
bool parse_command_line(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& result);

// A loaded pipeline with the components commands build from it.
struct Session {
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Pipeline> pipeline;
  torch::Device device = torch::kCPU;
  std::int64_t seed = 0;
  bool quiet = false;

  std::shared_ptr<Sde> sde;
  std::shared_ptr<Dataset> data;  // null when the pipeline has no [data]
  BuildContext context() const;
  at::Generator generator(std::uint64_t stream = 0) const;
};

// Loads plugins and the pipeline (from PIPELINE, or `fallback_text` when given and PIPELINE is not),
// applying `extra` overrides after --set. Builds the SDE and the data set when present.
Session open_session(const cxxopts::ParseResult& args, const std::vector<std::string>& extra,
                     const std::string& fallback_text = "", const std::string& fallback_name = "");
// The shape of one example: from [data], else from the network (analytic oracles).
std::vector<std::int64_t> example_shape(const Session& s, const Network& network);
// Loads a checkpoint's EMA weights into `network`; without a checkpoint a trainable network is an error.
void load_weights(Network& network, const std::string& checkpoint, const Session& s);
// The examples a command evaluates: --data FILE (.npy/.pt), else the first `num` of a finite [data] set,
// else `num` fresh draws of a generator set; reshaped to `shape` and checked for NaN.
at::Tensor load_examples(const Session& s, const cxxopts::ParseResult& args, std::int64_t num,
                         const std::vector<std::int64_t>& shape);
// The network of [network] with the checkpoint's EMA weights, on the session's device, in eval mode.
std::shared_ptr<Network> load_network(const Session& s, const std::string& checkpoint, const std::string& command);
// Where the built-in pipelines are (source tree or install prefix).
std::string pipelines_dir();

}  // namespace scoregen::cli
