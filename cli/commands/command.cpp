// The command table filled by SCOREGEN_COMMAND registrations.
#include "commands/command.hpp"

#include <algorithm>

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

}  // namespace scoregen::cli
