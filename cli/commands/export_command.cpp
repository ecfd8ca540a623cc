// `scoregen export`: flags -> engine::export_checkpoint.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/export_checkpoint.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen export",
                           "Write a checkpoint's EMA weights (as the weights) with its pipeline and step, without the\n"
                           "optimizer and RNG state: what to share or ship. It samples and evaluates like the original\n"
                           "but cannot resume training.");
  add_common_options(options);
  options.add_options("export")
      ("c,checkpoint", "the training checkpoint", cxxopts::value<std::string>())
      ("o,out", "the exported file", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  return engine::export_checkpoint({session_request(args), flag_or_empty(args, "out")});
}

}  // namespace

SCOREGEN_COMMAND(9, "export", "a small checkpoint with only the EMA weights and the pipeline (for sharing)", run);

}  // namespace scoregen::cli
