// Common flags of the pipeline commands.
#include "commands/flags.hpp"

#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace scoregen::cli {

void add_common_options(cxxopts::Options& options) {
  options.add_options()
      ("pipeline", "pipeline file (TOML)", cxxopts::value<std::string>())
      ("s,set", "override a pipeline value: section.key=value (TOML syntax; repeatable), e.g. --set sde.N=500",
       cxxopts::value<std::vector<std::string>>())
      ("seed", "seed of every random draw (overrides the pipeline's seed)", cxxopts::value<std::int64_t>())
      ("device", "torch device: cpu, cuda, cuda:1 (overrides the pipeline's device)", cxxopts::value<std::string>())
      ("threads", "CPU threads for LibTorch (overrides the pipeline's threads; 0: one per core)",
       cxxopts::value<std::int64_t>())
      ("plugin-path", "extra plugin library or folder (repeatable; searched after SCOREGEN_PLUGIN_PATH)",
       cxxopts::value<std::vector<std::string>>())
      ("dist-timeout", "seconds a data-parallel run (torchrun) waits for a peer or a collective before failing",
       cxxopts::value<std::int64_t>()->default_value("1800"))
      ("q,quiet", "no progress bar")
      ("h,help", "show this help");
  options.parse_positional({"pipeline"});
}

bool parse_command_line(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& result) {
  try {
    result = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw Error(fmt::format("{}: {} (see {} --help)", options.program(), e.what(), options.program()));
  }
  if (result.count("help")) {
    fmt::print("{}", options.help());
    return false;
  }
  return true;
}

std::string flag_or_empty(const cxxopts::ParseResult& args, const std::string& name) {
  return args.count(name) ? args[name].as<std::string>() : std::string();
}

engine::SessionRequest session_request(const cxxopts::ParseResult& args, const std::vector<std::string>& extra) {
  engine::SessionRequest r;
  r.pipeline_path = flag_or_empty(args, "pipeline");
  if (args.count("checkpoint")) r.checkpoint = args["checkpoint"].as<std::string>();
  if (args.count("set")) r.overrides = args["set"].as<std::vector<std::string>>();
  r.overrides.insert(r.overrides.end(), extra.begin(), extra.end());
  if (args.count("seed")) r.overrides.push_back(fmt::format("seed={}", args["seed"].as<std::int64_t>()));
  if (args.count("threads")) r.overrides.push_back(fmt::format("threads={}", args["threads"].as<std::int64_t>()));
  if (args.count("device")) r.overrides.push_back(fmt::format("device=\"{}\"", args["device"].as<std::string>()));
  if (args.count("plugin-path")) r.plugin_paths = args["plugin-path"].as<std::vector<std::string>>();
  r.quiet = args.count("quiet") > 0;
  const std::int64_t timeout = args["dist-timeout"].as<std::int64_t>();
  if (timeout < 1) throw Error("--dist-timeout must be >= 1 second");
  r.dist_timeout = std::chrono::seconds(timeout);
  return r;
}

}  // namespace scoregen::cli
