// The loaded session of every command: registry, pipeline, device, threads, seed, SDE and data.
#include "engine/host/session.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/cuda.h>

#include "engine/host/command_settings.hpp"
#include "engine/io/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/random.hpp"
#include "scoregen_build_config.hpp"

namespace scoregen::engine {

BuildContext Session::context() const {
  BuildContext ctx;
  ctx.sde = sde;
  if (data) {
    ctx.data_shape = data->shape();
    ctx.num_classes = data->num_classes();
  }
  ctx.device = device.str();
  ctx.base_dir = base_dir;
  ctx.builder = registry->builder();
  return ctx;
}

const CheckpointFile& Session::checkpoint(const std::string& path) const {
  auto it = checkpoints.find(path);
  if (it == checkpoints.end()) it = checkpoints.emplace(path, std::make_shared<const CheckpointFile>(path)).first;
  return *it->second;
}

at::Generator Session::generator(Stream stream, std::uint64_t item) const {
  std::uint64_t s = static_cast<std::uint64_t>(seed) * 1000003ULL + static_cast<std::uint64_t>(stream);
  if (item > 0) s = splitmix64(s ^ splitmix64(item));  // item 0 keeps the stream of earlier scoregen versions
  return at::make_generator<at::CPUGeneratorImpl>(s);
}

BatchRandom Session::batch_random(Stream stream, std::int64_t count, std::uint64_t step, std::int64_t first) const {
  return BatchRandom(splitmix64(static_cast<std::uint64_t>(seed) * 1000003ULL + static_cast<std::uint64_t>(stream)), step, first, count);
}

namespace {

at::Device parse_device(const std::string& text, const std::string& where) {
  try {
    at::Device d(text);
    if (d.is_cuda() && !torch::cuda::is_available())
      throw Error(fmt::format("{}: device '{}' requested but CUDA is not available in this LibTorch build", where, text));
    if (!d.is_cpu() && !d.is_cuda()) throw Error(fmt::format("{}: device '{}' is not supported (use cpu or cuda)", where, text));
    if (d.is_cpu() && d.has_index() && d.index() != 0)
      throw Error(fmt::format("{}: device '{}': the CPU has no numbered devices (use cpu; --threads sets its cores)", where, text));
    return d;
  } catch (const c10::Error&) {
    throw Error(fmt::format("{}: '{}' is not a torch device (use cpu, cuda or cuda:N)", where, text));
  }
}

at::Device device_of(const Pipeline& p) {
  const Options& root = p.options("");
  return parse_device(settings_of<RootSettings>(root).device, root.where("device").empty() ? p.source() : root.where("device"));
}

// sigma_max = "auto": the largest pairwise distance in (a sample of) the data (NCSNv2, Song & Ermon 2020, technique 1).
void resolve_auto_sigma_max(Session& s) {
  if (!s.pipeline->has("sde")) return;
  Options& sde = s.pipeline->mutable_options("sde");
  if (!sde.has("sigma_max") || !sde.is_auto("sigma_max")) return;
  if (!s.data) sde.fail("sigma_max", "\"auto\" is computed from the data: the pipeline needs a [data] section");
  BatchRandom rng = s.batch_random(Stream::AutoSigmaMax, 2000);
  at::Tensor x = s.data->sample(rng).x;
  x = x.reshape({x.size(0), -1}).to(at::kDouble);
  double d = at::cdist(x, x).max().item<double>();
  sde.set("sigma_max", d);
  fmt::print(stderr, "sde: sigma_max = \"auto\" -> {:.4g} (largest pairwise distance among 2000 data examples)\n", d);
}

// True when this machine's CPU does bf16 arithmetic natively (the flags oneDNN uses: avx512_bf16, amx_bf16).
bool cpu_has_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
  return false;
}

// The top-level `precision`; bf16 on a CPU without native bf16 runs, emulated, with a one-line note.
at::ScalarType precision_of(const Pipeline& p, at::Device device) {
  if (settings_of<RootSettings>(p.options("")).precision == "float32") return at::kFloat;
  if (device.is_cpu() && !cpu_has_bf16())
    fmt::print(stderr, "scoregen: note: this CPU has no native bf16 (no avx512_bf16 or amx_bf16 in /proc/cpuinfo): "
                       "precision = \"bf16\" runs emulated, usually slower than float32\n");
  return at::kBFloat16;
}

// Seed, device, data and SDE of a parsed pipeline.
Session finish(std::shared_ptr<Registry> registry, Pipeline pipeline, std::string base_dir = "") {
  Session s;
  s.base_dir = std::move(base_dir);
  s.registry = std::move(registry);
  s.pipeline = std::make_unique<Pipeline>(std::move(pipeline));
  s.seed = settings_of<RootSettings>(s.pipeline->options("")).seed;
  s.device = device_of(*s.pipeline);
  s.precision = precision_of(*s.pipeline, s.device);
  at::manual_seed(static_cast<std::uint64_t>(s.seed));  // network initialisation follows the pipeline seed too
  if (s.pipeline->has("data")) s.data = s.pipeline->create_as<Dataset>("data", s.context());
  resolve_auto_sigma_max(s);
  s.sde = s.pipeline->create_as<Sde>("sde", s.context(), "every command");
  return s;
}

// Joins the group torchrun describes (nothing without WORLD_SIZE > 1), and says so first.
std::shared_ptr<ProcessGroup> join_group(bool cuda, std::chrono::seconds timeout, std::chrono::seconds rendezvous) {
  auto group = std::make_shared<ProcessGroup>(ProcessGroup::from_environment(cuda, timeout, rendezvous));
  if (group->distributed()) fmt::print(stderr, "scoregen: {}\n", group->describe());
  return group;
}

// A rank of a group uses cuda:LOCAL_RANK for "cuda"; only rank 0 writes to stdout and shows progress.
void apply_group(Session& s, std::shared_ptr<ProcessGroup> group) {
  s.group = std::move(group);
  if (!s.group->distributed()) return;
  if (s.device.is_cuda() && !s.device.has_index())
    s.device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(s.group->local_rank()));
  if (!s.group->root()) {
    s.quiet = true;
    if (!std::freopen("/dev/null", "w", stdout)) throw Error("cannot silence a non-root rank's standard output");
  }
}

}  // namespace

namespace {

// `stored`: the opened --checkpoint, whose pipeline is used when there is no PIPELINE.
Pipeline read_pipeline(const SessionRequest& request, const Registry& registry, const CheckpointFile* stored) {
  const Overrides& overrides = request.overrides;
  if (!request.pipeline_text.empty())
    return Pipeline::parse(request.pipeline_text, request.pipeline_source, overrides, registry, PipelineOrigin::File);
  if (!request.pipeline_path.empty()) return Pipeline::load(request.pipeline_path, overrides, registry);
  // No PIPELINE: the checkpoint's stored pipeline (how it was trained), with the overrides.
  if (stored) {
    Pipeline p = Pipeline::parse(stored->pipeline(), request.checkpoint + " (stored pipeline)",
                                 overrides, registry, PipelineOrigin::Stored);
    // Outputs go where this user says (--out), else to the default name in the working directory: never to a path
    // a checkpoint carries from whoever trained it.
    if (overrides.setter("sample.out").empty() && p.has("sample")) p.mutable_options("sample").set("out", std::string("samples.png"));
    return p;
  }
  throw Error("no PIPELINE file given (built-in pipelines are in " + pipelines_dir() + ")");
}

// --steps N: the override of the option the pipeline's sampler declares as its step count (docs/pipelines.md).
struct StepsMapping {
  std::string key;            // section.key
  std::int64_t original = 0;  // [sde] N before, when the steps go there
};
StepsMapping map_steps(const Pipeline& p, std::int64_t steps, const Registry& registry) {
  if (steps < 1) throw Error("--steps must be >= 1");
  if (!p.has("sampler")) throw Error(fmt::format("--steps: {} has no [sampler] to take it", p.source()));
  const PluginInfo& sampler = p.plugin("sampler");
  for (const auto& o : sampler.options) {
    if (!o.step_count) continue;
    if (!o.step_note.empty()) fmt::print(stderr, "note: --steps {}: {}\n", steps, o.step_note);
    if (o.step_target.empty()) return {"sampler." + o.name, 0};
    const std::string section = o.step_target.substr(0, o.step_target.find('.')),
                      key = o.step_target.substr(o.step_target.find('.') + 1);
    const PluginInfo* target = p.has(section) ? &p.plugin(section) : nullptr;
    if (!target || std::none_of(target->options.begin(), target->options.end(), [&](const OptionSpec& s) { return s.name == key; }))
      throw Error(fmt::format("--steps: the {} sampler runs the steps of [{}] {}, which the {} {} does not have (its "
                              "levels are fixed by its training); use a sampler with a step count of its own (--sampler)",
                              sampler.name, section, key, target ? target->name : "pipeline's", section));
    return {o.step_target, p.options(section).integer(key)};
  }
  throw Error(fmt::format("--steps: the {} sampler has no step count (see scoregen plugins info {})", sampler.name,
                          sampler.name));
}

}  // namespace

std::string held_out_split(const Pipeline& p, const std::string& given) {
  const OptionSpec* split = nullptr;
  if (p.has("data"))
    for (const auto& o : p.plugin("data").options)
      if (o.name == "split") split = &o;
  if (!split)
    throw Error(fmt::format("{}: the {} data set has no split to hold out for testing (eval with "
                            "--classifier-checkpoint tests image data on one; without it, a data set that knows its "
                            "density is judged by it)", p.source(),
                            p.has("data") ? p.plugin("data").name : std::string("pipeline's (absent)")));
  if (!given.empty()) return given;  // the option's own check names a value it does not allow
  for (const char* name : {"test", "t10k"})
    if (std::find(split->choices.begin(), split->choices.end(), name) != split->choices.end()) return name;
  throw Error(fmt::format("{}: which split of the {} data set is held out? (--test-split NAME)", p.source(),
                          p.plugin("data").name));
}

Session open_session(const SessionRequest& request) {
  auto registry = std::make_shared<Registry>();
  registry->load_default(request.plugin_paths);
  std::shared_ptr<const CheckpointFile> stored;
  if (request.pipeline_text.empty() && request.pipeline_path.empty() && !request.checkpoint.empty())
    stored = std::make_shared<const CheckpointFile>(request.checkpoint);
  Pipeline pipeline = read_pipeline(request, *registry, stored.get());
  // Flags whose key the validated tables say, set once the pipeline is read (it is read once): --steps (the
  // sampler's step count) and eval's test split.
  auto set_resolved = [&](const std::string& path, const Value& value, const std::string& label) {
    // one value per setting: a --set or a flag of the same key is the other value
    const std::string section = path.substr(0, path.find('.')), key = path.substr(path.find('.') + 1);
    if (const std::string other = request.overrides.setter(path); !other.empty())
      throw Error(fmt::format("{} and {} both set [{}] {}; give one", label, other, section, key));
    pipeline.set(section, key, value, label);
  };
  StepsMapping steps;
  if (request.steps) {
    steps = map_steps(pipeline, *request.steps, *registry);
    set_resolved(steps.key, *request.steps, fmt::format("--steps {}", *request.steps));
  }
  if (request.test_split) {
    const std::string split = held_out_split(pipeline, *request.test_split);
    set_resolved("data.split", split, request.test_split->empty()
                                          ? fmt::format("the held-out split \"{}\" eval tests on", split)
                                          : fmt::format("--test-split {}", split));
  }
  auto group = join_group(device_of(pipeline).is_cuda(), request.dist_timeout, request.rendezvous_timeout);
  // threads = 0: the cores, shared among the processes of this machine
  const std::int64_t threads = settings_of<RootSettings>(pipeline.options("")).threads;
  const char* local = std::getenv("LOCAL_WORLD_SIZE");
  const int per_machine = group->distributed() && local ? std::max(1, std::atoi(local)) : 1;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // More threads than cores only contend; thousands of them never start sampling. At most 4 per core.
  if (threads > 4 * cores)
    pipeline.options("").fail("threads", fmt::format("{} threads on a machine with {} cores: at most {} (0: chosen by the work)",
                                                       threads, cores, 4 * cores));
  at::set_num_threads(threads > 0 ? static_cast<int>(threads) : std::max(1, cores / per_machine));
  const std::string origin_file = !request.pipeline_path.empty() ? request.pipeline_path : request.checkpoint;
  const std::string base_dir =
      !request.base_dir.empty() ? request.base_dir : std::filesystem::path(origin_file).parent_path().string();
  Session s = finish(std::move(registry), std::move(pipeline), base_dir);
  if (stored) s.checkpoints[request.checkpoint] = stored;
  if (request.steps && steps.key == "sde.N" && s.sde->is_discrete() && *request.steps != steps.original)
    throw Error(fmt::format("--steps {}: the {} chain's N = {} is part of the trained model; it cannot take another step "
                            "count (use a sampler with a step count of its own, --sampler)",
                            *request.steps, s.pipeline->plugin("sde").name, steps.original));
  s.quiet = request.quiet;
  s.argv = request.argv;
  s.sets_threads = true;
  apply_group(s, std::move(group));
  return s;
}

Session open_session(std::shared_ptr<Registry> registry, Pipeline pipeline) {
  return finish(std::move(registry), std::move(pipeline));
}

std::shared_ptr<Registry> builtin_registry() {
  static std::shared_ptr<Registry> registry = [] {
    auto r = std::make_shared<Registry>();
    r->load_path(Registry::builtin_dir());
    return r;
  }();
  return registry;
}

std::string pipelines_dir() {
  std::filesystem::path src = std::filesystem::path(SCOREGEN_SOURCE_DIR) / "pipelines";
  if (std::filesystem::is_directory(src)) return src.string();
  return std::filesystem::path(Registry::builtin_dir()).parent_path().parent_path().parent_path() / "share/scoregen/pipelines";
}

}  // namespace scoregen::engine
