// Names of plugin kinds and predictions, and the Component base.
#include <string>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/parameterization.hpp"
#include "scoregen/plugin.hpp"

namespace scoregen {

Component::~Component() = default;

const char* kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::Sde: return "sde";
    case PluginKind::Network: return "network";
    case PluginKind::Sampler: return "sampler";
    case PluginKind::Predictor: return "predictor";
    case PluginKind::Corrector: return "corrector";
    case PluginKind::Objective: return "objective";
    case PluginKind::Guidance: return "guidance";
    case PluginKind::Dataset: return "dataset";
  }
  return "?";
}

const char* prediction_name(Prediction p) {
  switch (p) {
    case Prediction::Score: return "score";
    case Prediction::Noise: return "noise";
    case Prediction::Data: return "data";
  }
  return "?";
}

Prediction parse_prediction(const std::string& name) {
  if (name == "score") return Prediction::Score;
  if (name == "noise" || name == "eps") return Prediction::Noise;
  if (name == "data" || name == "x0") return Prediction::Data;
  throw Error(fmt::format("unknown prediction '{}' (expected score, noise or data)", name));
}

}  // namespace scoregen
