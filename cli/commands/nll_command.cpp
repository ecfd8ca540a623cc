// `scoregen nll`: flags -> engine::nll.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/nll.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen nll",
                           "Log-likelihood (nats) and bits/dim of data under the model, by integrating the\n"
                           "probability-flow ODE with the instantaneous change of variables (RK45).\n"
                           "8-bit image data: with [nll] dequantize = K, each example is uniformly dequantized K times\n"
                           "and bits/dim gets the offset of its scaling (8 for [0,1], 7 for [-1,1]), comparable with\n"
                           "published figures; without dequantization bits/dim is not comparable.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("likelihood")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("data", "evaluate the examples of this .npy/.pt file instead of [data]", cxxopts::value<std::string>())
      ("n,num", "number of examples (nll.num)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "examples per ODE solve (nll.batch_size)", cxxopts::value<std::int64_t>())
      ("divergence", "rademacher, gaussian (Hutchinson) or exact (nll.divergence)", cxxopts::value<std::string>())
      ("o,out", "per-example CSV: index, log-likelihood (nats), bits/dim", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  override_from<std::int64_t>(args, "num", "nll.num", extra);
  override_from<std::int64_t>(args, "batch-size", "nll.batch_size", extra);
  override_from<std::string>(args, "divergence", "nll.divergence", extra);
  engine::NllRequest r{session_request(args, extra), {}, flag_or_empty(args, "data"), flag_or_empty(args, "out")};
  r.assembly.command = "scoregen nll";
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  return engine::nll(r);
}

}  // namespace

SCOREGEN_COMMAND(3, "nll", "exact log-likelihood and bits/dim through the probability-flow ODE", run);

}  // namespace scoregen::cli
