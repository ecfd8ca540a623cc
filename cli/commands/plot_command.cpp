// `scoregen plot`: flags -> engine::plot_run.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/plot.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void declare_plot(cxxopts::Options& options) {
  options.custom_help("RUN_DIR|METRICS.jsonl [--out PNG]");
  options.add_options()("o,out", "the plot (default RUN_DIR/metrics.png, or METRICS.png beside a metrics file)",
                        cxxopts::value<std::string>());
  options.add_options("hidden")("run", "", cxxopts::value<std::string>());
}

int run_plot(const cxxopts::ParseResult& args, const std::vector<std::string>&) {
  if (!args.count("run")) throw Error("scoregen plot: which run? (a folder written by scoregen train)");
  engine::plot_run(args["run"].as<std::string>(), flag_or_empty(args, "out")).print(false);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("plot", "draw a training run's loss and other metrics (metrics.jsonl) as a PNG",
                 "Draw every metric of a run's metrics.jsonl (loss, learning rate, seconds, ...) against the optimizer\n"
                 "step, one panel each, as a PNG (a log axis where a metric spans decades); or of a metrics file itself.",
                 11, false, "run", declare_plot, run_plot);

}  // namespace scoregen::cli
