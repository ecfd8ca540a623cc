// The subcommands of the binary: each command file registers itself (name, one-line summary, entry point) with
// SCOREGEN_COMMAND; main.cpp dispatches by name and lists them in its usage.
#pragma once

#include <string>
#include <vector>

namespace scoregen::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);  // argv[0] is the command's name
  int order;                          // position in the usage listing
};

// Every registered command, in usage order.
std::vector<Command> commands();

struct CommandRegistrar {
  explicit CommandRegistrar(Command command);
};

}  // namespace scoregen::cli

#define SCOREGEN_COMMAND_CONCAT_INNER(a, b) a##b
#define SCOREGEN_COMMAND_CONCAT(a, b) SCOREGEN_COMMAND_CONCAT_INNER(a, b)
#define SCOREGEN_COMMAND(ORDER, NAME, SUMMARY, RUN)                                                       \
  static const ::scoregen::cli::CommandRegistrar SCOREGEN_COMMAND_CONCAT(scoregen_command_, __LINE__)( \
      ::scoregen::cli::Command{NAME, SUMMARY, RUN, ORDER})
