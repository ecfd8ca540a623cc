// `scoregen export`: a small, shippable checkpoint holding only the EMA weights and the pipeline.
#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"

namespace scoregen::cli {

int run_export(int argc, char** argv) {
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
  if (!args.count("checkpoint") || !args.count("out")) throw Error("scoregen export: --checkpoint and --out are required");
  const std::string ckpt = args["checkpoint"].as<std::string>(), out = args["out"].as<std::string>();
  Session s = open_session(args, {});
  const bool classifier = s.pipeline->options("train").string("objective") == "classifier";
  std::shared_ptr<Component> keep;
  torch::nn::Module* module = nullptr;
  if (classifier) {
    auto g = s.pipeline->create_as<Guidance>("guidance", s.context(), "scoregen export");
    module = g->module();
    keep = g;
  } else {
    auto n = s.pipeline->create_as<Network>("network", s.context(), "scoregen export");
    module = n.get();
    keep = n;
  }
  if (!module) throw Error("nothing to export: the checkpoint's trainee has no weights");
  CheckpointState st = load_checkpoint(ckpt, module, nullptr);
  apply_ema(*module, st.ema);
  CheckpointState slim;
  slim.step = st.step;
  slim.pipeline = st.pipeline;
  save_checkpoint(out, slim, *module, nullptr);
  fmt::print("export: {} (step {}) -> {} (EMA weights only)\n", ckpt, st.step, out);
  return 0;
}

}  // namespace scoregen::cli
