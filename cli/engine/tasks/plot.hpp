// `scoregen plot RUN...`: runs' metrics.jsonl drawn as a PNG, one panel per metric against the step, one curve per run;
// or sweeps (eval --json lines) against another key, with error bars where a metric has NAME_std beside it.
#pragma once

#include <string>
#include <vector>

#include "engine/io/line_plot.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct PlotRequest {
  std::vector<std::string> runs;     // run folders written by train, or metrics files themselves
  std::string out;                   // empty: RUN/metrics.png (or METRICS.png) for one run; required for several
  std::vector<std::string> metrics;  // the panels, in this order (empty: every metric but the wall clock elapsed_s)
  YScale y_scale = YScale::automatic;
  std::string x = "step";  // the key of the x axis: another number of every line, e.g. eval's nfe_per_batch (sweeps)
  double smooth = 0;  // weight of the exponential moving average drawn over the values, 0 <= smooth < 1 (0: none)
};
Report plot_run(const PlotRequest& request);

}  // namespace scoregen::engine
