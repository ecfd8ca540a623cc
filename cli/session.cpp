// Common flags and the loaded session (registry, pipeline, device, seed, SDE and data) of every command.
#include <filesystem>
#include <thread>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.hpp"
#include "scoregen/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/io.hpp"
#include "scoregen_build_config.hpp"

namespace scoregen::cli {

void add_common_options(cxxopts::Options& options) {
  options.add_options()
      ("pipeline", "pipeline file (TOML)", cxxopts::value<std::string>())
      ("s,set", "override a pipeline value: section.key=value (TOML syntax; repeatable), e.g. --set sde.N=500",
       cxxopts::value<std::vector<std::string>>())
      ("seed", "seed of every random draw (overrides the pipeline's seed)", cxxopts::value<std::int64_t>())
      ("device", "torch device: cpu, cuda, cuda:1 (overrides the pipeline's device)", cxxopts::value<std::string>())
      ("threads", "CPU threads for LibTorch (overrides the pipeline's threads; 0: one per core)",
       cxxopts::value<std::int64_t>())
      ("plugin-path", "extra plugin library or folder (repeatable; searched after SCOREGEN_PLUGIN_PATH)",
       cxxopts::value<std::vector<std::string>>())
      ("q,quiet", "no progress bar")
      ("h,help", "show this help");
  options.parse_positional({"pipeline"});
}

bool parse_command_line(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& result) {
  try {
    result = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw Error(fmt::format("{}: {} (see {} --help)", options.program(), e.what(), options.program()));
  }
  if (result.count("help")) {
    fmt::print("{}", options.help());
    return false;
  }
  return true;
}

BuildContext Session::context() const {
  BuildContext ctx;
  ctx.sde = sde;
  if (data) {
    ctx.data_shape = data->shape();
    ctx.num_classes = data->num_classes();
  }
  ctx.device = device.str();
  return ctx;
}

at::Generator Session::generator(std::uint64_t stream) const {
  // One independent, reproducible stream per purpose (data, noise, ...), all from the pipeline seed.
  return at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(seed) * 1000003ULL + stream);
}

namespace {
torch::Device parse_device(const std::string& text, const std::string& where) {
  try {
    torch::Device d(text);
    if (d.is_cuda() && !torch::cuda::is_available())
      throw Error(fmt::format("{}: device '{}' requested but CUDA is not available in this LibTorch build", where, text));
    if (!d.is_cpu() && !d.is_cuda()) throw Error(fmt::format("{}: device '{}' is not supported (use cpu or cuda)", where, text));
    return d;
  } catch (const c10::Error&) {
    throw Error(fmt::format("{}: '{}' is not a torch device (use cpu, cuda or cuda:N)", where, text));
  }
}
}  // namespace

// sigma_max = "auto": the largest pairwise distance in (a sample of) the data (NCSNv2 technique 1).
static void resolve_auto_sigma_max(Session& s) {
  if (!s.pipeline->has("sde")) return;
  Options& sde = s.pipeline->mutable_options("sde");
  if (!sde.has("sigma_max") || !sde.is_auto("sigma_max")) return;
  if (!s.data) sde.fail("sigma_max", "\"auto\" is computed from the data: the pipeline needs a [data] section");
  at::Generator gen = s.generator(99);
  at::Tensor x = s.data->sample(2000, gen).x;
  x = x.reshape({x.size(0), -1}).to(at::kDouble);
  double d = at::cdist(x, x).max().item<double>();
  sde.set("sigma_max", d);
  fmt::print(stderr, "sde: sigma_max = \"auto\" -> {:.4g} (largest pairwise distance among 2000 data examples)\n", d);
}

Session open_session(const cxxopts::ParseResult& args, const std::vector<std::string>& extra,
                     const std::string& fallback_text, const std::string& fallback_name) {
  Session s;
  s.quiet = args.count("quiet") > 0;
  s.registry = std::make_unique<Registry>();
  std::vector<std::string> paths;
  if (args.count("plugin-path")) paths = args["plugin-path"].as<std::vector<std::string>>();
  s.registry->load_default(paths);

  std::vector<std::string> overrides;
  if (args.count("set")) overrides = args["set"].as<std::vector<std::string>>();
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  if (args.count("seed")) overrides.push_back(fmt::format("seed={}", args["seed"].as<std::int64_t>()));
  if (args.count("threads")) overrides.push_back(fmt::format("threads={}", args["threads"].as<std::int64_t>()));
  if (args.count("device")) overrides.push_back(fmt::format("device=\"{}\"", args["device"].as<std::string>()));

  if (args.count("pipeline")) {
    s.pipeline = std::make_unique<Pipeline>(Pipeline::load(args["pipeline"].as<std::string>(), overrides, *s.registry));
  } else if (!fallback_text.empty()) {
    s.pipeline = std::make_unique<Pipeline>(Pipeline::parse(fallback_text, fallback_name, overrides, *s.registry));
  } else if (args.count("checkpoint")) {
    // No PIPELINE: the checkpoint's stored pipeline (how it was trained), with the overrides.
    const std::string ckpt = args["checkpoint"].as<std::string>();
    s.pipeline = std::make_unique<Pipeline>(
        Pipeline::parse(checkpoint_pipeline(ckpt), ckpt + " (stored pipeline)", overrides, *s.registry));
  } else {
    throw Error("no PIPELINE file given (built-in pipelines are in " + pipelines_dir() + ")");
  }
  const Options& root = s.pipeline->options("");
  s.seed = root.integer("seed");
  if (s.seed < 0) root.fail("seed", "must be >= 0");
  const std::int64_t threads = root.integer("threads");
  if (threads < 0) root.fail("threads", "must be >= 0");
  at::set_num_threads(threads > 0 ? static_cast<int>(threads) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  s.device = parse_device(root.string("device"), root.where("device").empty() ? s.pipeline->source() : root.where("device"));

  at::manual_seed(static_cast<std::uint64_t>(s.seed));  // network initialisation follows the pipeline seed too
  if (s.pipeline->has("data")) s.data = s.pipeline->create_as<Dataset>("data", s.context());
  resolve_auto_sigma_max(s);
  s.sde = s.pipeline->create_as<Sde>("sde", s.context(), "every command");
  return s;
}

std::vector<std::int64_t> example_shape(const Session& s, const Network& network) {
  if (s.data) return s.data->shape();
  auto shape = network.example_shape();
  if (shape.empty())
    throw Error(fmt::format("{}: the pipeline needs a [data] section to know the shape of a sample", s.pipeline->source()));
  return shape;
}

void load_weights(Network& network, const std::string& checkpoint, const Session& s) {
  if (checkpoint.empty()) {
    if (network.trainable() && !network.parameters().empty())
      throw Error(fmt::format("[network] plugin '{}' needs trained weights: pass --checkpoint RUN/checkpoint.pt",
                              s.pipeline->plugin("network").name));
    return;
  }
  CheckpointState st = load_checkpoint(checkpoint, &network, nullptr);
  apply_ema(network, st.ema);
}

at::Tensor load_examples(const Session& s, const cxxopts::ParseResult& args, std::int64_t num,
                         const std::vector<std::int64_t>& shape) {
  at::Tensor data;
  if (args.count("data")) {
    const std::string path = args["data"].as<std::string>();
    data = path.size() > 3 && path.substr(path.size() - 3) == ".pt" ? load_pt(path) : load_npy(path);
    data = data.to(at::kFloat);
  } else if (s.data) {
    at::Generator g = s.generator(20);
    data = s.data->size() > 0 ? s.data->get(0, std::min(num, s.data->size())).x : s.data->sample(num, g).x;
  } else {
    throw Error(fmt::format("{}: this command needs a [data] section or --data FILE", s.pipeline->source()));
  }
  data = data.narrow(0, 0, std::min<std::int64_t>(num, data.size(0)));
  std::int64_t dim = 1;
  for (auto v : shape) dim *= v;
  if (data.dim() == 0 || data.size(0) == 0 || data[0].numel() != dim)
    throw Error(fmt::format("the examples have shape [{}]; the model expects [N, {}]", fmt::join(data.sizes(), ", "),
                            fmt::join(shape, ", ")));
  if (!at::isfinite(data).all().item<bool>()) throw Error("the examples contain NaN or infinite values");
  std::vector<std::int64_t> full{data.size(0)};
  full.insert(full.end(), shape.begin(), shape.end());
  return data.reshape(full);
}

std::shared_ptr<Network> load_network(const Session& s, const std::string& checkpoint, const std::string& command) {
  auto network = s.pipeline->create_as<Network>("network", s.context(), command);
  load_weights(*network, checkpoint, s);
  network->to(s.device);
  network->eval();
  return network;
}

std::string pipelines_dir() {
  std::filesystem::path src = std::filesystem::path(SCOREGEN_SOURCE_DIR) / "pipelines";
  if (std::filesystem::is_directory(src)) return src.string();
  return std::filesystem::path(Registry::builtin_dir()).parent_path().parent_path().parent_path() / "share/scoregen/pipelines";
}

}  // namespace scoregen::cli
