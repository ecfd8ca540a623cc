// What each loaded sampler can do, asked of the sampler itself: refusals name the samplers that would serve, from
// the registry, so that they include out-of-tree samplers and cannot go stale.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace scoregen {
class Sampler;
}

namespace scoregen::engine {

struct Session;

// The loaded samplers that, built with their defaults in the session's context, satisfy `can` (sorted by name).
std::vector<std::string> samplers_that(const Session& session, const std::function<bool(const Sampler&)>& can);
// What to do when the pipeline's [sampler] does not satisfy `can`: when the same sampler with its defaults does, the
// keys set away from them ("; the pc sampler with its defaults does (here: resample = 2)"), else "; use a, b or c".
std::string sampler_remedy(const Session& session, const std::function<bool(const Sampler&)>& can);

}  // namespace scoregen::engine
