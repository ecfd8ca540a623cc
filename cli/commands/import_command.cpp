// `scoregen import FORMAT CHECKPOINT`: flags -> engine::import_checkpoint.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/import_checkpoint.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void declare_import(cxxopts::Options& options) {
  options.positional_help("");
  options.custom_help("score-sde CHECKPOINT.pth --config NAME_OR_FILE --out MODEL.pt [--config-set section.key=value ...] "
                      "[--set section.key=value ...]");
  add_json_option(options);
  options.add_options("import")
      ("config", "the checkpoint's configuration: a published score_sde_pytorch config name (e.g. "
                 "vp/cifar10_ddpmpp_continuous, ve/cifar10_ncsnpp_continuous), the user's own config file CONFIG.py "
                 "(its get_config(), run by Python), a TOML in score_sde's layout ([training], [data], [model]) or a "
                 "scoregen pipeline", cxxopts::value<std::string>())
      ("config-set", "change a value of --config by score_sde's own name, before it is translated (repeatable; e.g. "
                     "--config-set model.nf=16, --config-set data.centered=False); --set takes scoregen's names",
       cxxopts::value<std::vector<std::string>>())
      ("o,out", "the scoregen checkpoint to write (.pt): weights, their EMA, the step and the pipeline",
       cxxopts::value<std::string>())
      ("trust-checkpoint", "unpickle a checkpoint that holds more than tensors, numbers and containers (older "
                           "PyTorch formats); a pickle can run code: only for files you trust");
  options.add_options("hidden")("words", "", cxxopts::value<std::vector<std::string>>());
}

int run_import(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  refuse_flags(args, "import", {"seed"}, "an import converts weights and draws nothing at random");
  std::vector<std::string> words;
  if (args.count("words")) words = args["words"].as<std::vector<std::string>>();
  if (args.count("pipeline"))
    throw Error("scoregen import takes no PIPELINE: --config names the checkpoint's configuration");
  if (words.size() != 2) throw Error("scoregen import: give the format and the checkpoint: import score-sde CHECKPOINT.pth");
  engine::ImportRequest r;
  r.session = session_request(args, argv, {});
  r.format = words[0];
  r.checkpoint = words[1];
  r.config = flag_or_empty(args, "config");
  r.out = flag_or_empty(args, "out");
  r.trust = args.count("trust-checkpoint") > 0;
  if (args.count("config-set")) r.config_sets = args["config-set"].as<std::vector<std::string>>();
  engine::import_checkpoint(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("import", "convert another tool's checkpoint (score_sde_pytorch's NCSN++ / DDPM++) into a scoregen one",
                 "Convert a score_sde_pytorch checkpoint (Song et al. 2021's code release: its NCSN++ and DDPM++\n"
                 "networks on the VE, VP or sub-VP SDE) into a scoregen checkpoint: `sample`, `nll`, `eval`, `inpaint`\n"
                 "and the fast samplers then use it as any other (--checkpoint MODEL.pt). The .pth is read by\n"
                 "scripts/score_sde_to_scoregen.py with Python and PyTorch (Debian's python3-torch; $SCOREGEN_PYTHON\n"
                 "names another interpreter); the network comes from --config. A tensor without a place in that\n"
                 "network, or a weight without a tensor, is an error naming it (docs/score_sde_networks.md).",
                 12, true, "words", declare_import, run_import);

}  // namespace scoregen::cli
