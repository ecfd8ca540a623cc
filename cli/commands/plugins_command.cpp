// `scoregen plugins`: flags -> engine::list_plugins.
#include <fmt/format.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/host/plugin_catalog.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void declare_plugins(cxxopts::Options& options) {
  options.custom_help("[--json] [--plugin-path P]... [info NAME]");
  options.add_options()
      ("json", "machine-readable output: kind, name, summary, library and options (type, default, range, help)")
      ("plugin-path", "extra plugin library or folder (repeatable)", cxxopts::value<std::vector<std::string>>());
  options.add_options("hidden")("words", "info NAME", cxxopts::value<std::vector<std::string>>());
}

int run_plugins(const cxxopts::ParseResult& args, const std::vector<std::string>&) {
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

SCOREGEN_COMMAND("plugins", "list the loaded plugins; plugins info NAME: a plugin's or a command table's keys",
                 "List the loaded plugins (built-in, SCOREGEN_PLUGIN_PATH, --plugin-path) with their kind and library.\n"
                 "`plugins info NAME` prints a plugin's options (type, default, range, help), or a command table's keys\n"
                 "(train, sample, nll, inpaint, eval).",
                 20, false, "words", declare_plugins, run_plugins);

}  // namespace scoregen::cli
