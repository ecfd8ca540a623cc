// `scoregen distill`: flags -> engine::train with a teacher ([objective] consistency-distillation).
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/training_run.hpp"

namespace scoregen::cli {

namespace {

// The flags that set pipeline keys.
const std::vector<KeyFlag> kDistillFlags = {
    {"steps", "train.steps", "raise it to continue a finished run"},
    {"batch-size", "train.batch_size", "the global batch of a data-parallel run"}};

void declare_distill(cxxopts::Options& options) {
  add_json_option(options);
  options.add_options("distillation")
      ("o,out", "run directory (default runs/<pipeline name>)", cxxopts::value<std::string>())
      ("teacher", "the trained score model ([objective] teacher): a checkpoint (`train`, `import`), or the pipeline of "
                  "an analytic network; its [sde] must be the PIPELINE's", cxxopts::value<std::string>());
  add_key_flags(options, "distillation", kDistillFlags);
}

int run_distill(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::TrainRequest request{session_request(args, argv, kDistillFlags), flag_or_empty(args, "out"), ""};
  // a string key of the [objective] plugin, not of a command table: given to the pipeline like --set, typed
  if (args.count("teacher"))
    request.session.overrides.flags.push_back({"objective.teacher", args["teacher"].as<std::string>(), "--teacher"});
  request.distill = true;
  engine::train(request).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("distill", "distill a trained score model into a one- and few-step consistency model",
                 "Consistency distillation (Song et al. 2023, alg. 2): the PIPELINE's [network] plugin = \"consistency\"\n"
                 "learns to map every point of the teacher's probability-flow ODE to its origin, with [objective]\n"
                 "plugin = \"consistency-distillation\". The teacher (--teacher, or [objective] teacher) is a checkpoint of\n"
                 "the same [sde]; a student whose inner network has the teacher's shape starts from its weights. The run\n"
                 "is a `train` run (resume, torchrun, bf16, metrics.jsonl); sample it with [sampler] plugin =\n"
                 "\"consistency\" in 1 or 2 steps (docs/formulas.md \"Consistency models\").",
                 2, true, "pipeline", declare_distill, run_distill);

}  // namespace scoregen::cli
