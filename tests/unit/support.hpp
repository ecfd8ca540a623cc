// Shared by the unit tests and benchmarks: the built-in plugins and components built from pipeline text through
// the engine (the same assemble() the commands use).
#pragma once

#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "engine/host/assemble.hpp"
#include "engine/host/pipeline.hpp"
#include "engine/host/registry.hpp"
#include "engine/host/session.hpp"
#include "engine/io/files.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"
#include "scoregen_build_config.hpp"

namespace test {

// The built-in plugins, loaded once per test process.
inline const scoregen::engine::Registry& registry() { return *scoregen::engine::builtin_registry(); }

inline scoregen::engine::Pipeline pipeline(const std::string& text) {
  return scoregen::engine::Pipeline::parse(text, "test.toml", {}, registry());
}

// An SDE from a one-line table body, e.g. sde("vp") or sde("ve", "sigma_max = 10.0").
inline std::shared_ptr<scoregen::Sde> sde(const std::string& name, const std::string& keys = "") {
  auto p = pipeline("[sde]\nplugin = \"" + name + "\"\n" + keys + "\n");
  return p.create_as<scoregen::Sde>("sde", {});
}

// A session (SDE and data built) from pipeline text.
inline scoregen::engine::Session session(const std::string& text) {
  return scoregen::engine::open_session(scoregen::engine::builtin_registry(), pipeline(text));
}

// Network (analytic, or untrained), sampler when the pipeline has one, ScoreModel and shape: as `scoregen sample`
// builds them.
inline scoregen::engine::Assembly assembly(const std::string& text) {
  scoregen::engine::Session s = session(text);
  scoregen::engine::AssemblyRequest r;
  r.command = "test";
  r.sampler = s.pipeline->has("sampler");
  return scoregen::engine::assemble(std::move(s), r);
}

// The tables of a shipped pipeline (a path under the source tree) before its [sampler] table: SDE, data, network.
inline std::string tables_before_sampler(const std::string& relative) {
  const std::string text = scoregen::engine::read_file(std::string(SCOREGEN_SOURCE_DIR) + "/" + relative);
  return text.substr(0, text.find("\n[sampler]"));
}

// `n` exact draws of a session's data set from the draw stream `stream`, as float64.
inline at::Tensor exact_draws(const scoregen::engine::Session& s, std::uint64_t stream, std::int64_t n) {
  scoregen::BatchRandom rng = s.batch_random(static_cast<scoregen::engine::Stream>(stream), n);
  return s.data->sample(rng).x.to(at::kDouble);
}

inline at::Tensor full_t(double t, std::int64_t n = 1) { return at::full({n}, t, at::kDouble); }

}  // namespace test
