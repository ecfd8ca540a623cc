// `scoregen plugins`: flags -> engine::list_plugins.
#include <fmt/format.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/plugin_catalog.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen plugins", "List the loaded plugins, or show one plugin's options.");
  options.custom_help("[--json] [--plugin-path P]... | info NAME");
  options.positional_help("");
  options.add_options()
      ("json", "machine-readable output: kind, name, summary, library and options (type, default, range, help)")
      ("plugin-path", "extra plugin library or folder (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("h,help", "show this help")
      ("words", "info NAME", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"words"});
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  engine::PluginsRequest r;
  if (args.count("plugin-path")) r.plugin_paths = args["plugin-path"].as<std::vector<std::string>>();
  r.json = args.count("json") > 0;
  if (args.count("words")) {
    auto words = args["words"].as<std::vector<std::string>>();
    if (words[0] != "info" || words.size() != 2)
      throw Error("scoregen plugins: expected `plugins`, `plugins --json` or `plugins info NAME`");
    r.info = words[1];
  }
  return engine::list_plugins(r);
}

}  // namespace

SCOREGEN_COMMAND(10, "plugins", "list the loaded plugins (plugins --json, plugins info NAME)", run);

}  // namespace scoregen::cli
