// The command table filled by SCOREGEN_COMMAND registrations, and how a command's command line is read.
#include "commands/command.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/flags.hpp"
#include "scoregen/error.hpp"
#include "scoregen/version.hpp"

namespace scoregen::cli {

namespace {
std::vector<Command>& table() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace

CommandRegistrar::CommandRegistrar(Command command) { table().push_back(command); }

std::vector<Command> commands() {
  std::vector<Command> out = table();
  std::sort(out.begin(), out.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
  return out;
}

const Command* find_command(const std::string& name) {
  for (const auto& c : table())
    if (name == c.name) return &c;
  return nullptr;
}

cxxopts::Options options_of(const Command& command) {
  cxxopts::Options options(fmt::format("scoregen {}", command.name), command.description);
  if (command.pipeline) {
    options.positional_help("[PIPELINE]");
    add_common_options(options);
  } else {
    options.positional_help("");
    options.add_options()("h,help", "show this help");
  }
  command.declare(options);
  return options;
}

int run_command(const Command& command, int argc, char** argv) {
  cxxopts::Options options = options_of(command);
  cxxopts::ParseResult args;
  std::vector<std::string> positional;
  if (command.positional) positional.push_back(command.positional);
  if (!parse_command_line(options, argc, argv, args, positional)) return 0;
  if (args.count("unexpected")) {
    auto extra = args["unexpected"].as<std::vector<std::string>>();
    throw Error(fmt::format("scoregen {}: unexpected argument{} {} (it takes {}; see scoregen {} --help)", command.name,
                            extra.size() > 1 ? "s" : "", fmt::join(extra, " "),
                            command.pipeline ? "one PIPELINE file" : "no file arguments", command.name));
  }
  std::vector<std::string> words(argv, argv + argc);
  return command.run(args, words);
}

int run_command(const Command& command, const std::vector<std::string>& words) {
  std::vector<std::string> copy = words;
  std::vector<char*> argv;
  for (auto& w : copy) argv.push_back(w.data());
  argv.push_back(nullptr);
  return run_command(command, static_cast<int>(copy.size()), argv.data());
}

std::vector<std::string> replay_flags(const Command& command, const std::vector<std::string>& words,
                                      const std::vector<std::string>& drop) {
  cxxopts::Options options = options_of(command);
  std::vector<std::string> positional;
  if (command.positional) positional.push_back(command.positional);
  std::vector<std::string> argv = {command.name};
  argv.insert(argv.end(), words.begin(), words.end());
  std::vector<char*> pointers;
  for (auto& w : argv) pointers.push_back(w.data());
  cxxopts::ParseResult parsed;
  parse_command_line(options, static_cast<int>(pointers.size()), pointers.data(), parsed, positional);
  positional.push_back("unexpected");
  std::vector<std::string> out;
  for (const auto& kv : parsed.arguments()) {
    if (std::find(positional.begin(), positional.end(), kv.key()) != positional.end()) continue;
    if (std::find(drop.begin(), drop.end(), kv.key()) != drop.end()) continue;
    out.push_back(fmt::format("--{}={}", kv.key(), kv.value()));
  }
  return out;
}

std::string help_text(const cxxopts::Options& options) {
  std::vector<std::string> shown;
  for (const auto& g : options.groups())
    if (g != "hidden") shown.push_back(g);
  return options.help(shown);
}

std::string command_help(const Command& command) { return help_text(options_of(command)); }

std::vector<FlagDoc> flags_of(const Command& command) {
  cxxopts::Options options = options_of(command);
  std::vector<FlagDoc> flags;
  for (const auto& g : options.groups()) {
    if (g == "hidden") continue;
    for (const auto& o : options.group_help(g).options) {
      if (o.l.empty() || o.l[0] == "pipeline") continue;  // the positional PIPELINE
      FlagDoc f;
      f.short_name = o.s;
      f.long_name = o.l[0];
      f.help = o.desc;
      f.default_value = o.has_default && !o.is_boolean ? o.default_value : "";
      f.takes_value = !o.is_boolean;
      f.repeatable = o.is_container;
      flags.push_back(std::move(f));
    }
  }
  return flags;
}

std::string usage_text() {
  std::string text = fmt::format(
      "scoregen {} - score-based generative modelling (score matching, NCSN, DDPM, score SDEs)\n\n"
      "usage: scoregen COMMAND [PIPELINE] [options]\n\ncommands:\n",
      SCOREGEN_VERSION);
  for (const auto& c : commands()) text += fmt::format("  {:<12} {}\n", c.name, c.summary);
  text +=
      "\noptions:\n"
      "  -h, --help     this help; `scoregen COMMAND --help` (or `scoregen help COMMAND`) explains a command\n"
      "  -V, --version  print the version, the plugin ABI version and the LibTorch version\n"
      "\n"
      "Every pipeline command takes a TOML pipeline and any number of --set section.key=value overrides.\n"
      "Plugins are searched in the built-in folder, then SCOREGEN_PLUGIN_PATH (colon-separated), then --plugin-path.\n"
      "Exit status: 0 success, 2 user error (bad input), 1 internal error, 128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 138 SIGUSR1).\n";
  return text;
}

}  // namespace scoregen::cli
