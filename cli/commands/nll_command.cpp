// `scoregen nll`: flags -> engine::nll.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/nll.hpp"

namespace scoregen::cli {

namespace {

// The flags that set [nll] keys.
const std::vector<KeyFlag> kNllFlags = {{"n,num", "nll.num"},
                                         {"b,batch-size", "nll.batch_size"},
                                         {"divergence", "nll.divergence"},
                                         {"data-values", "nll.data_values"},
                                         {"rtol", "nll.rtol"},
                                         {"atol", "nll.atol"}};

void declare_nll(cxxopts::Options& options) {
  add_json_option(options);
  options.add_options("likelihood")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("data", "evaluate the examples of this .npy/.pt file instead of [data] (--data-values says what they are)",
       cxxopts::value<std::string>())
      ("probes", "Hutchinson probes from this .npy/.pt ([N, ...] or [K, N, ...]) instead of drawn ones: another "
                 "implementation's number at the same probe", cxxopts::value<std::string>())
      ("o,out", "per-example CSV: index, log-likelihood (nats), bits/dim; its record is OUT.toml",
       cxxopts::value<std::string>());
  add_key_flags(options, "likelihood", kNllFlags);
}

int run_nll(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::NllRequest r{session_request(args, argv, kNllFlags), {}, flag_or_empty(args, "data"), flag_or_empty(args, "out"),
                       flag_or_empty(args, "probes")};
  r.assembly.command = "scoregen nll";
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  engine::nll(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("nll", "exact log-likelihood and bits/dim through the probability-flow ODE",
                 "Log-likelihood (nats) and bits/dim of data under the model, by integrating the probability-flow ODE\n"
                 "with the instantaneous change of variables (RK45). 8-bit image data are uniformly dequantized\n"
                 "([nll] dequantize draws per example, 1 by default) and bits/dim gets the offset of their scaling\n"
                 "(8 for [0, 1], 7 for [-1, 1]), comparable with published figures. Examples from --data are taken as\n"
                 "continuous unless --data-values says 8-bit (an imported score_sde model says so itself: its nll\n"
                 "prints score_sde's bits/dim). The summary names the convention and the RK45 tolerance (1e-5 by\n"
                 "default, as encode, decode and score_sde).",
                 3, true, "pipeline", declare_nll, run_nll);

}  // namespace scoregen::cli
