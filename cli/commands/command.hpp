// The subcommands of the binary: each command file registers itself (SCOREGEN_COMMAND) with its name, summary,
// description, flags and entry point; main.cpp dispatches by name, and the usage, `--help`, the shell completions
// and the man page are all generated from the same declarations.
#pragma once

#define CXXOPTS_VECTOR_DELIMITER '\x1f'  // --set values may contain commas (TOML arrays)
#include <cxxopts.hpp>

#include <string>
#include <vector>

namespace scoregen::cli {

struct Command {
  const char* name;
  const char* summary;      // one line, for the usage and the man page
  const char* description;  // the paragraph of `--help`
  int order;                // position in the usage listing
  bool pipeline;            // takes PIPELINE and the common flags (--set, --seed, --device, ...)
  const char* positional;   // the flag that takes the positional word (its own, or "pipeline"); nullptr: none
  void (*declare)(cxxopts::Options& options);  // the command's own flags
  // `argv`: the words after "scoregen", for the record of what the command wrote.
  int (*run)(const cxxopts::ParseResult& args, const std::vector<std::string>& argv);
};

// Every registered command, in usage order.
std::vector<Command> commands();
const Command* find_command(const std::string& name);
// "scoregen NAME" with the description, PIPELINE and the common flags (pipeline commands), and the command's flags.
cxxopts::Options options_of(const Command& command);
// Parses argv[0..argc) (argv[0] is the command's name): --help prints the help, an unknown flag or a second PIPELINE
// is an error (exit 2); then runs the command.
int run_command(const Command& command, int argc, char** argv);
int run_command(const Command& command, const std::vector<std::string>& words);
// `--help` of a command: its description and its flags, by group (the hidden group left out).
std::string help_text(const cxxopts::Options& options);
std::string command_help(const Command& command);
// A declared flag, as the help, the shell completions and the man page show it.
struct FlagDoc {
  std::string short_name, long_name, help, default_value;
  bool takes_value = false, repeatable = false;
};
std::vector<FlagDoc> flags_of(const Command& command);
// The usage of the binary: its commands with their summaries, the global flags, the exit statuses.
std::string usage_text();
// The flags of `command` as given in `words` (argv after the command's name), one `--name=value` word each and in
// order, without its positional words and without the flags named in `drop`: what `scoregen rerun` replays.
std::vector<std::string> replay_flags(const Command& command, const std::vector<std::string>& words,
                                      const std::vector<std::string>& drop);

struct CommandRegistrar {
  explicit CommandRegistrar(Command command);
};

}  // namespace scoregen::cli

#define SCOREGEN_COMMAND_CONCAT_INNER(a, b) a##b
#define SCOREGEN_COMMAND_CONCAT(a, b) SCOREGEN_COMMAND_CONCAT_INNER(a, b)
#define SCOREGEN_COMMAND(...)                                                                             \
  static const ::scoregen::cli::CommandRegistrar SCOREGEN_COMMAND_CONCAT(scoregen_command_, __COUNTER__)( \
      ::scoregen::cli::Command{__VA_ARGS__})
