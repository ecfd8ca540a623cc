// `scoregen train`: flags -> engine::train.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/training_run.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen train",
                           "Train the pipeline's [network] on its [data] with the [objective] (default dsm), or the\n"
                           "[guidance] classifier with [objective] plugin = \"classifier\". A run directory holds\n"
                           "checkpoint.pt, metrics.jsonl and pipeline.toml; training again into the same directory\n"
                           "resumes from its checkpoint.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("training")
      ("o,out", "run directory (default runs/<pipeline name>)", cxxopts::value<std::string>())
      ("steps", "total optimizer steps (train.steps)", cxxopts::value<std::int64_t>())
      ("batch-size", "examples per step (train.batch_size)", cxxopts::value<std::int64_t>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  override_from<std::int64_t>(args, "steps", "train.steps", extra);
  override_from<std::int64_t>(args, "batch-size", "train.batch_size", extra);
  return engine::train({session_request(args, extra), flag_or_empty(args, "out")});
}

}  // namespace

SCOREGEN_COMMAND(1, "train", "train a score network on the pipeline's [data] with its [objective]", run);

}  // namespace scoregen::cli
