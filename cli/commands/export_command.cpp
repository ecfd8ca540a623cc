// `scoregen export`: flags -> engine::export_checkpoint.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/export_checkpoint.hpp"

namespace scoregen::cli {

namespace {

void declare_export(cxxopts::Options& options) {
  options.add_options("export")
      ("c,checkpoint", "the training checkpoint", cxxopts::value<std::string>())
      ("o,out", "the exported file (not the checkpoint itself)", cxxopts::value<std::string>())
      ("torchscript", "write a TorchScript module whose forward(x, t) is the score (the parameterisation applied, the "
       "SDE's schedule inside): torch.jit.load(OUT)(x, t) in Python, no scoregen needed; any batch, on the input's "
       "device (map_location=\"cuda\" for a GPU)");
  add_json_option(options);
}

int run_export(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  refuse_flags(args, "export", {"seed"}, "an export copies weights and draws nothing at random");
  engine::export_checkpoint({session_request(args, argv), flag_or_empty(args, "out"), args.count("torchscript") > 0})
      .print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("export", "a small checkpoint with only the EMA weights, or a TorchScript score module",
                 "Write a checkpoint's EMA weights (as the weights) with its pipeline and step, without the optimizer\n"
                 "and RNG state: what to share or ship. It samples and evaluates like the original but cannot resume\n"
                 "training. With --torchscript, a TorchScript module of the score for Python instead.",
                 9, true, "pipeline", declare_export, run_export);

}  // namespace scoregen::cli
