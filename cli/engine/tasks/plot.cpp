// Reading metrics.jsonl (one JSON object a line, numbers only; event lines mark a resume) and plotting its metrics.
#include "engine/tasks/plot.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "engine/host/record.hpp"
#include "engine/io/files.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

struct RunMetrics {
  std::string file;
  std::map<std::string, Curve> series;  // by metric name
  std::vector<std::string> order;       // the metrics in the order they first appear
  std::set<double> resumes;             // steps at which the run was resumed
};

std::string metrics_file(const std::string& run) {
  return fs::is_regular_file(run) ? run : (fs::path(run) / "metrics.jsonl").string();
}

// The lines of a sweep (eval --json, one a line) in order of x; the values at one x (repeats at other seeds) as
// their mean, with its standard error s / sqrt(n) (s with n - 1) as the error bar.
Curve points_by_x(const Curve& c) {
  std::map<double, std::vector<std::size_t>> at;
  for (std::size_t i = 0; i < c.x.size(); ++i) at[c.x[i]].push_back(i);
  Curve out;
  for (const auto& [x, rows] : at) {
    double mean = 0, square = 0;
    for (std::size_t i : rows) mean += c.y[i] / static_cast<double>(rows.size());
    for (std::size_t i : rows) square += (c.y[i] - mean) * (c.y[i] - mean);
    const double n = static_cast<double>(rows.size());
    out.x.push_back(x), out.y.push_back(mean);
    if (rows.size() > 1) out.error.push_back(std::sqrt(square / (n - 1) / n));
    else out.error.push_back(c.error.empty() ? std::nan("") : c.error[rows.front()]);
  }
  return out;
}

RunMetrics read_metrics(const std::string& run, const std::string& x_key) {
  RunMetrics r;
  r.file = metrics_file(run);
  if (!fs::exists(r.file))
    throw Error(fmt::format("{}: no metrics.jsonl (is it a run directory written by scoregen train?)", run));
  std::istringstream in(read_file(r.file));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    // A metrics line is a flat JSON object of numbers: as TOML's inline table it reads the same once ':' is '='.
    std::string as_toml = "m = " + line;
    bool quoted = false;
    for (std::size_t i = 4; i < as_toml.size(); ++i) {
      const char c = as_toml[i];
      if (c == '"' && as_toml[i - 1] != '\\') quoted = !quoted;
      else if (c == ':' && !quoted) as_toml[i] = '=';
    }
    toml::table t;
    try {
      t = toml::parse(as_toml);
    } catch (const toml::parse_error&) {
      throw Error(fmt::format("{}:{}: not a metrics line", r.file, number));
    }
    const toml::table* m = t["m"].as_table();
    if (!m) continue;
    auto step = (*m)[x_key].value<double>();
    if (!step) continue;
    if ((*m)["event"]) {  // a line train writes when it resumes a run
      r.resumes.insert(*step);
      continue;
    }
    for (auto&& [key, value] : *m) {
      const std::string k(key.str());
      if (k == x_key || k == "step" || k == "world_size") continue;
      auto v = value.value<double>();
      if (!v) continue;
      if (!r.series.count(k)) r.order.push_back(k);
      r.series[k].x.push_back(*step);
      r.series[k].y.push_back(*v);
    }
  }
  if (r.order.empty())
    throw Error(fmt::format(x_key == "step" ? "{}: no metrics to plot yet" : "{}: no line has a number '{}' (--x)", r.file, x_key));
  if (x_key != "step") {
    // a metric logged with NAME_std beside it (eval's KID, IS) gets error bars of that size
    for (auto& [name, curve] : r.series) {
      auto spread = r.series.find(name + "_std");
      if (spread != r.series.end() && spread->second.x == curve.x) curve.error = spread->second.y;
    }
    for (auto& [name, curve] : r.series) curve = points_by_x(curve);
  }
  return r;
}

// The values under an exponential moving average of weight w, divided by (1 - w^n) so that the first values are not
// pulled towards zero (the debiasing of Kingma & Ba 2015, Adam, Algorithm 1).
std::vector<double> smoothed(const std::vector<double>& y, double w) {
  std::vector<double> out(y.size());
  double average = 0, weight = 1;
  for (std::size_t i = 0; i < y.size(); ++i) {
    average = w * average + (1 - w) * y[i];
    weight *= w;
    out[i] = average / (1 - weight);
  }
  return out;
}

}  // namespace

Report plot_run(const PlotRequest& request) {
  if (request.runs.empty()) throw Error("scoregen plot: which run? (a folder written by scoregen train)");
  if (!(request.smooth >= 0 && request.smooth < 1))
    throw Error(fmt::format("--smooth {}: the average's weight is in [0, 1) (0: no smoothing)", request.smooth));
  std::vector<RunMetrics> runs;
  for (const auto& run : request.runs) runs.push_back(read_metrics(run, request.x));
  const std::string& first = request.runs.front();
  if (request.out.empty() && runs.size() > 1)
    throw Error(fmt::format("scoregen plot: {} runs in one plot: name it with --out PNG", runs.size()));
  const std::string out = !request.out.empty()         ? request.out
                          : fs::is_regular_file(first) ? fs::path(first).replace_extension(".png").string()
                                                       : (fs::path(first) / "metrics.png").string();
  if (fs::path(out).extension() != ".png") throw Error(fmt::format("{}: the plot is a .png", out));
  std::vector<RecordInput> inputs;
  for (const auto& r : runs) inputs.push_back({"metrics", r.file});
  check_output_apart("--out", out, inputs, "");

  // The panels: as asked, else every metric of any run but the wall clock; the loss first.
  std::vector<std::string> order = request.metrics;
  if (order.empty()) {
    for (const auto& r : runs)
      for (const auto& k : r.order)
        if (k != "elapsed_s" && std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    std::stable_partition(order.begin(), order.end(), [](const std::string& k) { return k == "loss"; });
    if (order.empty()) order.push_back("elapsed_s");
  }
  std::vector<Panel> panels;
  for (const auto& k : order) {
    Panel panel{k, {}};
    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto it = runs[i].series.find(k);
      if (it == runs[i].series.end() && request.metrics.empty()) continue;  // a metric only some runs log
      if (it == runs[i].series.end())
        throw Error(fmt::format("--metric {}: {} has no such metric (it has {})", k, runs[i].file,
                                fmt::join(runs[i].order, ", ")));
      Curve curve = it->second;
      // a sweep's curve is named by its file (dpm-solver++.jsonl: dpm-solver++), a run's by its folder
      curve.legend = request.x == "step" ? request.runs[i] : fs::path(request.runs[i]).stem().string();
      curve.marks.assign(runs[i].resumes.begin(), runs[i].resumes.end());
      if (request.smooth > 0) curve.raw = curve.y, curve.y = smoothed(curve.y, request.smooth), curve.error.clear();
      panel.curves.push_back(std::move(curve));
      // eval's NAME_floor (what a perfect sampler scores at this N) as the panel's dashed reference
      auto floor = runs[i].series.find(k + "_floor");
      if (request.x != "step" && floor != runs[i].series.end() && !floor->second.y.empty())
        panel.reference = floor->second.y.front();
    }
    panels.push_back(std::move(panel));
  }
  const std::size_t logged = panels.front().curves.front().x.size();
  const std::string points = request.x == "step" ? "logged steps" : "points";
  const std::string title =
      runs.size() == 1 ? fmt::format("{} ({} {})", first, logged, points) : fmt::format("{} runs", runs.size());
  save_line_plots(panels, request.x, request.smooth > 0 ? fmt::format("{}; smoothed, weight {}", title, request.smooth) : title,
                  out, request.y_scale);
  std::vector<std::string> files;
  for (const auto& r : runs) files.push_back(r.file);
  Report report;
  report.line(fmt::format("plot: {} -> {} ({})", fmt::join(files, ", "), out, fmt::join(order, ", ")));
  report.field("command", "plot").field("output", out).field("inputs", files).field("metrics", order);
  return report;
}

}  // namespace scoregen::engine
