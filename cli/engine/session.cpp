// The loaded session of every command: registry, pipeline, device, threads, seed, SDE and data.
#include "engine/session.hpp"

#include <filesystem>
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
  ctx.builder = registry->builder();
  return ctx;
}

at::Generator Session::generator(std::uint64_t stream) const {
  return at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(seed) * 1000003ULL + stream);
}

namespace {

at::Device parse_device(const std::string& text, const std::string& where) {
  try {
    at::Device d(text);
    if (d.is_cuda() && !torch::cuda::is_available())
      throw Error(fmt::format("{}: device '{}' requested but CUDA is not available in this LibTorch build", where, text));
    if (!d.is_cpu() && !d.is_cuda()) throw Error(fmt::format("{}: device '{}' is not supported (use cpu or cuda)", where, text));
    return d;
  } catch (const c10::Error&) {
    throw Error(fmt::format("{}: '{}' is not a torch device (use cpu, cuda or cuda:N)", where, text));
  }
}

// sigma_max = "auto": the largest pairwise distance in (a sample of) the data (NCSNv2, Song & Ermon 2020, technique 1).
void resolve_auto_sigma_max(Session& s) {
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

// Seed, device, data and SDE of a parsed pipeline.
Session finish(std::shared_ptr<Registry> registry, Pipeline pipeline) {
  Session s;
  s.registry = std::move(registry);
  s.pipeline = std::make_unique<Pipeline>(std::move(pipeline));
  const Options& root = s.pipeline->options("");
  s.seed = root.integer("seed");
  s.device = parse_device(root.string("device"), root.where("device").empty() ? s.pipeline->source() : root.where("device"));
  at::manual_seed(static_cast<std::uint64_t>(s.seed));  // network initialisation follows the pipeline seed too
  if (s.pipeline->has("data")) s.data = s.pipeline->create_as<Dataset>("data", s.context());
  resolve_auto_sigma_max(s);
  s.sde = s.pipeline->create_as<Sde>("sde", s.context(), "every command");
  return s;
}

}  // namespace

Session open_session(const SessionRequest& request) {
  auto registry = std::make_shared<Registry>();
  registry->load_default(request.plugin_paths);
  std::optional<Pipeline> pipeline;
  if (!request.pipeline_path.empty()) {
    pipeline.emplace(Pipeline::load(request.pipeline_path, request.overrides, *registry));
  } else if (!request.checkpoint.empty()) {
    // No PIPELINE: the checkpoint's stored pipeline (how it was trained), with the overrides.
    pipeline.emplace(Pipeline::parse(checkpoint_pipeline(request.checkpoint), request.checkpoint + " (stored pipeline)",
                                     request.overrides, *registry, PipelineOrigin::Stored));
  } else {
    throw Error("no PIPELINE file given (built-in pipelines are in " + pipelines_dir() + ")");
  }
  const std::int64_t threads = pipeline->options("").integer("threads");
  at::set_num_threads(threads > 0 ? static_cast<int>(threads)
                                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  Session s = finish(std::move(registry), std::move(*pipeline));
  s.quiet = request.quiet;
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
