// Samplers asked what they can do (a sampler with required options, or one its defaults cannot build here, is left
// out: it cannot be suggested as it is).
#include "engine/host/sampler_capabilities.hpp"

#include <algorithm>
#include <exception>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/pipeline.hpp"
#include "engine/host/session.hpp"
#include "scoregen/error.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::engine {

std::vector<std::string> samplers_that(const Session& session, const std::function<bool(const Sampler&)>& can) {
  std::vector<std::string> names;
  for (const std::string& name : session.registry->names(PluginKind::Sampler)) {
    try {
      const Pipeline p = Pipeline::parse(fmt::format("[sampler]\nplugin = {}\n", toml_quote(name)), "defaults",
                                         {}, *session.registry, PipelineOrigin::Stored);
      if (can(*p.create_as<Sampler>("sampler", session.context()))) names.push_back(name);
    } catch (const std::exception&) {
      // required options, or defaults that do not build with this pipeline's SDE: not a suggestion
    }
  }
  return names;
}

std::string sampler_remedy(const Session& session, const std::function<bool(const Sampler&)>& can) {
  std::vector<std::string> names = samplers_that(session, can);
  const std::string chosen = session.pipeline->plugin("sampler").name;
  if (std::find(names.begin(), names.end(), chosen) != names.end())
    return fmt::format("; the {} sampler with its defaults does (here: {})", chosen,
                       fmt::join(session.pipeline->changed_keys("sampler"), ", "));
  if (names.empty()) return "; none of the loaded samplers does";
  const std::string last = names.back();
  names.pop_back();
  return names.empty() ? "; use " + last : fmt::format("; use {} or {}", fmt::join(names, ", "), last);
}

}  // namespace scoregen::engine
