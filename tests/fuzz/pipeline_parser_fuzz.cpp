// libFuzzer target: the pipeline parser with --set overrides, validated against the built-in plugins. The input is
// TOML text, then optionally a line "%%" and one override (section.key=value) per line.
#include <sstream>

#include "engine/host/pipeline.hpp"
#include "engine/host/session.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace scoregen::engine;
  static const auto registry = builtin_registry();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string separator = "\n%%\n";
  const std::size_t split = input.find(separator);
  Overrides overrides;
  if (split != std::string::npos) {
    std::istringstream lines(input.substr(split + separator.size()));
    for (std::string line; std::getline(lines, line);) overrides.set.push_back(line);
  }
  const std::string text = input.substr(0, split);
  for (PipelineOrigin origin : {PipelineOrigin::File, PipelineOrigin::Stored})
    scoregen::fuzz::expect_clean([&] {
      Pipeline p = Pipeline::parse(text, "fuzz.toml", overrides, *registry, origin);
      p.to_toml();
    });
  return 0;
}
