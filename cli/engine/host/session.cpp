// The loaded session of every command: registry, pipeline, device, threads, seed, SDE and data.
#include "engine/session.hpp"

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

#include "engine/checkpoint.hpp"
#include "scoregen/error.hpp"
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

namespace {
std::uint64_t mix(std::uint64_t x) {
  // splitmix64 (Steele, Lea, Flood 2014)
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
}  // namespace

at::Generator Session::generator(std::uint64_t stream, std::uint64_t item) const {
  std::uint64_t s = static_cast<std::uint64_t>(seed) * 1000003ULL + stream;
  if (item > 0) s = mix(s ^ mix(item));  // item 0 keeps the stream of earlier scoregen versions
  return at::make_generator<at::CPUGeneratorImpl>(s);
}

BatchRandom Session::batch_random(std::uint64_t stream, std::int64_t count, std::uint64_t step, std::int64_t first) const {
  return BatchRandom(mix(static_cast<std::uint64_t>(seed) * 1000003ULL + stream), step, first, count);
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
  return parse_device(root.string("device"), root.where("device").empty() ? p.source() : root.where("device"));
}

// sigma_max = "auto": the largest pairwise distance in (a sample of) the data (NCSNv2, Song & Ermon 2020, technique 1).
void resolve_auto_sigma_max(Session& s) {
  if (!s.pipeline->has("sde")) return;
  Options& sde = s.pipeline->mutable_options("sde");
  if (!sde.has("sigma_max") || !sde.is_auto("sigma_max")) return;
  if (!s.data) sde.fail("sigma_max", "\"auto\" is computed from the data: the pipeline needs a [data] section");
  BatchRandom rng = s.batch_random(99, 2000);
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
  if (p.options("").string("precision") == "float32") return at::kFloat;
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
  s.seed = s.pipeline->options("").integer("seed");
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

Pipeline read_pipeline(const SessionRequest& request, const std::vector<std::string>& overrides, const Registry& registry) {
  if (!request.pipeline_text.empty())
    return Pipeline::parse(request.pipeline_text, request.pipeline_source, overrides, registry, PipelineOrigin::File,
                           request.override_labels);
  if (!request.pipeline_path.empty())
    return Pipeline::load(request.pipeline_path, overrides, registry, request.override_labels);
  // No PIPELINE: the checkpoint's stored pipeline (how it was trained), with the overrides.
  if (!request.checkpoint.empty()) {
    Pipeline p = Pipeline::parse(checkpoint_pipeline(request.checkpoint), request.checkpoint + " (stored pipeline)",
                                 overrides, registry, PipelineOrigin::Stored, request.override_labels);
    // Outputs go where this user says (--out), else to the default name in the working directory: never to a path
    // a checkpoint carries from whoever trained it.
    const bool chosen = std::any_of(overrides.begin(), overrides.end(),
                                    [](const std::string& o) { return o.rfind("sample.out=", 0) == 0; });
    if (!chosen && p.has("sample")) p.mutable_options("sample").set("out", std::string("samples.png"));
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
  std::optional<Pipeline> pipeline;
  pipeline.emplace(read_pipeline(request, request.overrides, *registry));
  // Flags that become an override once the pipeline says which key they set: --steps (the sampler's step count) and
  // eval's test split.
  SessionRequest mapped = request;
  auto add = [&](const std::string& text, const std::string& label) {
    // one value per setting: a --set of the key the flag maps to is the other value
    const std::string key = text.substr(0, text.find('=') + 1);
    for (const auto& given : request.overrides)
      if (given.rfind(key, 0) == 0) {
        auto it = request.override_labels.find(given);
        throw Error(fmt::format("{} and {} both set [{}] {}; give one", label,
                                it != request.override_labels.end() ? it->second : "--set " + given,
                                key.substr(0, key.find('.')), key.substr(key.find('.') + 1, key.size() - key.find('.') - 2)));
      }
    mapped.overrides.push_back(text);
    mapped.override_labels[text] = label;
  };
  StepsMapping steps;
  if (request.steps) {
    steps = map_steps(*pipeline, *request.steps, *registry);
    add(fmt::format("{}={}", steps.key, *request.steps), fmt::format("--steps {}", *request.steps));
  }
  if (request.test_split) {
    const std::string split = held_out_split(*pipeline, *request.test_split);
    add("data.split=" + toml_quote(split), request.test_split->empty()
                                                      ? fmt::format("the held-out split \"{}\" eval tests on", split)
                                                      : fmt::format("--test-split {}", split));
  }
  if (request.steps || request.test_split) pipeline.emplace(read_pipeline(mapped, mapped.overrides, *registry));
  auto group = join_group(device_of(*pipeline).is_cuda(), request.dist_timeout, request.rendezvous_timeout);
  // threads = 0: the cores, shared among the processes of this machine
  const std::int64_t threads = pipeline->options("").integer("threads");
  const char* local = std::getenv("LOCAL_WORLD_SIZE");
  const int per_machine = group->distributed() && local ? std::max(1, std::atoi(local)) : 1;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // More threads than cores only contend; thousands of them never start sampling. At most 4 per core.
  if (threads > 4 * cores)
    pipeline->options("").fail("threads", fmt::format("{} threads on a machine with {} cores: at most {} (0: chosen by the work)",
                                                       threads, cores, 4 * cores));
  at::set_num_threads(threads > 0 ? static_cast<int>(threads) : std::max(1, cores / per_machine));
  const std::string origin_file = !request.pipeline_path.empty() ? request.pipeline_path : request.checkpoint;
  const std::string base_dir =
      !request.base_dir.empty() ? request.base_dir : std::filesystem::path(origin_file).parent_path().string();
  Session s = finish(std::move(registry), std::move(*pipeline), base_dir);
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
