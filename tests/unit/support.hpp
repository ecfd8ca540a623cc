// Shared by the unit tests: the built-in plugins and components built from pipeline text.
#pragma once

#include <memory>
#include <string>

#include "scoregen/network.hpp"
#include "scoregen/pipeline.hpp"
#include "scoregen/registry.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/sde.hpp"

namespace test {

// The built-in plugins, loaded once per test process.
inline const scoregen::Registry& registry() {
  static scoregen::Registry* r = [] {
    auto* reg = new scoregen::Registry();
    reg->load_path(scoregen::Registry::builtin_dir());
    return reg;
  }();
  return *r;
}

inline scoregen::Pipeline pipeline(const std::string& text) {
  return scoregen::Pipeline::parse(text, "test.toml", {}, registry());
}

// An SDE from a one-line table body, e.g. sde("vp") or sde("ve", "sigma_max = 10.0").
inline std::shared_ptr<scoregen::Sde> sde(const std::string& name, const std::string& keys = "") {
  auto p = pipeline("[sde]\nplugin = \"" + name + "\"\n" + keys + "\n");
  return p.create_as<scoregen::Sde>("sde", {});
}

inline at::Tensor full_t(double t, std::int64_t n = 1) { return at::full({n}, t, at::kDouble); }

}  // namespace test
