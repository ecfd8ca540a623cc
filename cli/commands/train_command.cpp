// `scoregen train`: flags -> engine::train.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/training_run.hpp"

namespace scoregen::cli {

namespace {

// The flags that set [train] keys.
const std::vector<KeyFlag> kTrainFlags = {{"steps", "train.steps", "raise it to continue a finished run"},
                                          {"batch-size", "train.batch_size", "the global batch of a data-parallel run"}};

void declare_train(cxxopts::Options& options) {
  add_json_option(options);
  options.add_options("training")
      ("o,out", "run directory (default runs/<pipeline name>)", cxxopts::value<std::string>())
      ("init", "a new run starts from this checkpoint without optimizer state (`scoregen import` or `export`): its "
               "weights, EMA and step; the PIPELINE's [sde] and [network] must equal its own, and those the PIPELINE "
               "leaves out (with [sampler]) are taken from it; refused on a run folder with a checkpoint (that run "
               "resumes). A score model's checkpoint under a PIPELINE whose [network] plugin = \"consistency\" wraps "
               "its network starts the consistency function from its weights at step 0 (easy consistency tuning)",
       cxxopts::value<std::string>());
  add_key_flags(options, "training", kTrainFlags);
}

int run_train(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::train({session_request(args, argv, kTrainFlags), flag_or_empty(args, "out"), flag_or_empty(args, "init")})
      .print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("train", "train a score network on the pipeline's [data] with its [objective]",
                 "Train the pipeline's [network] on its [data] with the [objective] (default dsm), or the [guidance]\n"
                 "classifier with [objective] plugin = \"classifier\". A run directory holds checkpoint.pt, metrics.jsonl\n"
                 "and pipeline.toml; training again into the same directory resumes from its checkpoint (the [sde],\n"
                 "[network], [objective] and [guidance] must be the run's; a changed [train] value is noted in the run).\n"
                 "Under torchrun the batch is shared out to the ranks (docs/scaling.md).",
                 1, true, "pipeline", declare_train, run_train);

}  // namespace scoregen::cli
