// SMC settings read from a command's table, and the sampler check SMC needs (docs/formulas.md "Sequential Monte Carlo").
#include "engine/host/smc_settings.hpp"

#include <fmt/format.h>

#include "engine/host/pipeline.hpp"
#include "engine/host/sampler_capabilities.hpp"
#include "engine/host/session.hpp"
#include "scoregen/error.hpp"
#include "scoregen/options.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::engine {

SmcSettings read_smc_settings(const std::string& section, const Options& table, const std::string& method_key) {
  SmcSettings s;
  s.on = table.string(method_key) == "smc";
  for (const char* key : {"particles", "sweeps", "ess_threshold"})
    if (!s.on && !holds_default(section, table, key))
      table.fail(key, fmt::format("only sequential Monte Carlo uses it: set {} = \"smc\" as well", method_key));
  s.particles = table.integer("particles");
  s.sweeps = table.integer("sweeps");
  s.ess_threshold = table.real("ess_threshold");
  return s;
}

void require_gaussian_draws(const Session& session, const Sampler& sampler, const std::string& setting) {
  if (!sampler.honours_gaussian_draws())
    throw Error(fmt::format("{}: {} weighs every Gaussian move of the sampler, which the {} sampler does not hand over{}",
                            session.pipeline->source(), setting, session.pipeline->plugin("sampler").name,
                            sampler_remedy(session, [](const Sampler& s) { return s.honours_gaussian_draws(); })));
}

}  // namespace scoregen::engine
