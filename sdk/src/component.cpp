// Names of predictions, the Component base and BuildContext::file.
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/parameterization.hpp"
#include "scoregen/plugin.hpp"

namespace scoregen {

Component::~Component() = default;

std::string BuildContext::file(const std::string& value) const {
  const std::filesystem::path beside = std::filesystem::path(base_dir) / value;
  if (!value.empty() && std::filesystem::path(value).is_relative() && !base_dir.empty() && std::filesystem::exists(beside))
    return beside.string();
  return value;
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
