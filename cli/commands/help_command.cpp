// `scoregen help [COMMAND]`: the usage, or a command's flags and the keys of its pipeline table.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/host/plugin_catalog.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void declare_help(cxxopts::Options& options) {
  options.custom_help("[COMMAND]");
  options.add_options("hidden")("topic", "", cxxopts::value<std::string>());
}

int run_help(const cxxopts::ParseResult& args, const std::vector<std::string>&) {
  if (!args.count("topic")) {
    fmt::print("{}", usage_text());
    return 0;
  }
  const std::string name = args["topic"].as<std::string>();
  const Command* command = find_command(name);
  if (!command) {
    std::vector<std::string> names;
    for (const auto& c : commands()) names.push_back(c.name);
    throw Error(fmt::format("scoregen help: no command '{}' (commands: {})", name, fmt::join(names, ", ")));
  }
  fmt::print("{}", command_help(*command));
  if (engine::has_command_table(name)) fmt::print("\npipeline {}", engine::describe_table(name));
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("help", "a command's flags and the keys of its pipeline table ([train], [sample], ...)",
                 "Print the usage, or a command's flags followed by the keys of its pipeline table (type, default,\n"
                 "range, help), as `scoregen plugins info train` prints them.",
                 21, false, "topic", declare_help, run_help);

}  // namespace scoregen::cli
