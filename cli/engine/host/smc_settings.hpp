// The settings every sequential Monte Carlo method shares (particles, sweeps, the resampling threshold), read from
// a command's table, and the check that the [sampler] hands its Gaussian moves over (docs/formulas.md
// "Sequential Monte Carlo").
#pragma once

#include <cstdint>
#include <string>

namespace scoregen {
class Options;
class Sampler;
}

namespace scoregen::engine {

struct Session;

// A command table's SMC keys: `method_key` = "smc" turns it on; `particles`, `sweeps` and `ess_threshold` set away
// from their defaults without it are an error naming the key.
struct SmcSettings {
  bool on = false;
  std::int64_t particles = 0;
  std::int64_t sweeps = 1;  // independent systems per output, combined by IndependentMetropolis
  double ess_threshold = 0.5;
};
SmcSettings read_smc_settings(const std::string& section, const Options& table, const std::string& method_key);
// SMC weighs every Gaussian move of the sampler: an error naming `setting` when the [sampler] does not hand them over.
void require_gaussian_draws(const Session& session, const Sampler& sampler, const std::string& setting);

}  // namespace scoregen::engine
