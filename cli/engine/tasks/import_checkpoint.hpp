// `scoregen import score-sde`: a score_sde_pytorch checkpoint (Song et al. 2021's code release) as a scoregen
// checkpoint with its pipeline (docs/score_sde_networks.md, README "Coming from score_sde_pytorch").
#pragma once

#include <string>
#include <vector>

#include "engine/host/session.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct ImportRequest {
  SessionRequest session;  // --set overrides of the generated pipeline, --plugin-path; no PIPELINE
  std::string format;      // "score-sde"
  std::string checkpoint;  // the .pth
  std::string config;      // a published config name, a score_sde-layout TOML or a scoregen pipeline
  std::vector<std::string> config_sets;  // --config-set section.key=value in score_sde's own names
  std::string out;         // the scoregen checkpoint (.pt)
  bool trust = false;      // --trust-checkpoint: let the converter unpickle the file fully (a pickle can run code)
};
// Writes `out`: the network's weights as trained and their EMA (what sampling uses), the checkpoint's step and the
// resolved pipeline. Every tensor must find its place and every network weight its tensor.
Report import_checkpoint(const ImportRequest& request);

}  // namespace scoregen::engine
