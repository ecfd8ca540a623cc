// `scoregen score-map`: a trained score against the exact score of data whose density is known (toy mixtures),
// over the plane: where the data are dense the estimate is accurate, where they are sparse it is not (Song & Ermon
// 2019, Sec. 3.2.1 and Fig. 2: score matching sees no examples there).
#pragma once

#include <optional>
#include <string>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct ScoreMapRequest {
  SessionRequest session;
  AssemblyRequest assembly;
  std::string out = "score_map.png";
  std::optional<double> t;  // the time (noise level) of both scores; default: the SDE's sample_eps (the smallest)
};
// Writes a PNG of two panels (exact and model score arrows over p_t; the error |s_theta - grad log p_t| as a heat
// map with the density's contours) and reports the error where p_t is high and where it is low.
Report score_map(const ScoreMapRequest& request);

}  // namespace scoregen::engine
