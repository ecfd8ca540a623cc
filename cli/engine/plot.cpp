// Reading metrics.jsonl (one JSON object a line, numbers only; event lines skipped) and plotting each metric.
#include "engine/plot.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "engine/files.hpp"
#include "engine/image_io.hpp"
#include "engine/record.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

Report plot_run(const std::string& run_dir, const std::string& out_given) {
  // a run directory, or a metrics file itself (the shipped models' NAME.metrics.jsonl)
  const bool file = fs::is_regular_file(run_dir);
  const std::string metrics = file ? run_dir : (fs::path(run_dir) / "metrics.jsonl").string();
  if (!fs::exists(metrics))
    throw Error(fmt::format("{}: no metrics.jsonl (is it a run directory written by scoregen train?)", run_dir));
  std::istringstream in(read_file(metrics));
  const std::string out = !out_given.empty() ? out_given
                          : file             ? (fs::path(run_dir).replace_extension(".png")).string()
                                             : (fs::path(run_dir) / "metrics.png").string();
  if (fs::path(out).extension() != ".png") throw Error(fmt::format("{}: the plot is a .png", out));
  check_output_apart("--out", out, {{"metrics", metrics}}, "");
  std::map<std::string, Series> series;
  std::vector<std::string> order;
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
      throw Error(fmt::format("{}:{}: not a metrics line", metrics, number));
    }
    const toml::table* m = t["m"].as_table();
    if (!m || (*m)["event"]) continue;  // notices recorded in the run
    auto step = (*m)["step"].value<double>();
    if (!step) continue;
    for (auto&& [key, value] : *m) {
      const std::string k(key.str());
      if (k == "step" || k == "world_size") continue;
      auto v = value.value<double>();
      if (!v) continue;
      if (!series.count(k)) order.push_back(k), series[k].name = k;
      series[k].x.push_back(*step);
      series[k].y.push_back(*v);
    }
  }
  if (order.empty()) throw Error(fmt::format("{}: no metrics to plot yet", metrics));
  // the loss first, the wall clock last, the others by name between
  auto rank = [](const std::string& k) { return k == "loss" ? 0 : k == "elapsed_s" ? 2 : 1; };
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  std::vector<Series> panels;
  for (const auto& k : order) panels.push_back(series[k]);
  save_line_plots(panels, "step", fmt::format("{} ({} logged steps)", run_dir, panels.front().x.size()), out);
  Report report;
  report.line(fmt::format("plot: {} -> {} ({})", metrics, out, fmt::join(order, ", ")));
  report.field("command", "plot").field("output", out).field("metrics", order);
  return report;
}

}  // namespace scoregen::engine
