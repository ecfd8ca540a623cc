// `scoregen plot`: flags -> engine::plot_run.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/plot.hpp"
#include "scoregen/error.hpp"

#include <fmt/format.h>

namespace scoregen::cli {

namespace {

void declare_plot(cxxopts::Options& options) {
  options.custom_help("RUN_DIR|METRICS.jsonl... [--out PNG]");
  options.add_options()
      ("o,out", "the plot (default RUN_DIR/metrics.png, or METRICS.png beside a metrics file; required for several runs)",
       cxxopts::value<std::string>())
      ("metric", "a metric to draw, one panel each in the order given (repeatable; default: every metric but the wall "
       "clock elapsed_s, the loss first)", cxxopts::value<std::vector<std::string>>())
      ("y-scale", "auto (a log axis where a metric stays positive and spans 3x or more), log or linear",
       cxxopts::value<std::string>()->default_value("auto"))
      ("smooth", "W in [0, 1): draw an exponential moving average of weight W over each metric, the values faint "
       "beneath (0: none)", cxxopts::value<double>()->default_value("0"))
      ("x-axis", "the key of the x axis (a sweep of eval --json lines: nfe_per_batch, steps, num)",
       cxxopts::value<std::string>()->default_value("step"));
  add_json_option(options);
  options.add_options("hidden")("runs", "", cxxopts::value<std::vector<std::string>>());
}

int run_plot(const cxxopts::ParseResult& args, const std::vector<std::string>&) {
  engine::PlotRequest r;
  if (args.count("runs")) r.runs = args["runs"].as<std::vector<std::string>>();
  r.out = flag_or_empty(args, "out");
  if (args.count("metric")) r.metrics = args["metric"].as<std::vector<std::string>>();
  const std::string scale = args["y-scale"].as<std::string>();
  if (scale == "log") r.y_scale = engine::YScale::log;
  else if (scale == "linear") r.y_scale = engine::YScale::linear;
  else if (scale != "auto") throw Error(fmt::format("--y-scale {}: one of auto, log or linear", scale));
  r.smooth = args["smooth"].as<double>();
  r.x = args["x-axis"].as<std::string>();
  engine::plot_run(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("plot", "draw training runs' metrics (metrics.jsonl), or eval sweeps against NFE, as a PNG",
                 "Draw the metrics of a run's metrics.jsonl (loss, learning rate, ...) against the optimizer step, one\n"
                 "panel each, as a PNG; or of a metrics file itself. Several runs share each panel, one curve each with\n"
                 "a legend. A dashed line marks where a run was resumed.\n\n"
                 "A sweep is a file of `scoregen eval --json` lines, one per sampler setting and seed: with --x-axis\n"
                 "nfe_per_batch and --metric classifier_kid, each file is a curve of quality against NFE. Lines with the\n"
                 "same x (other seeds) are drawn as their mean with its standard error as an error bar; a single line's\n"
                 "metric with NAME_std beside it (kid, inception_score) gets a bar of that size (docs/evaluation.md).",
                 11, false, "runs", declare_plot, run_plot);

}  // namespace scoregen::cli
