// Line plots of series against a step (OpenCV drawing): stacked panels, several curves with a legend, an optional
// faint unsmoothed curve beneath each, error bars, dashed vertical marks (a resumed run) and a dashed horizontal
// reference.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace scoregen::engine {

// One curve of a panel: y(x) named by `legend` when a panel has several.
struct Curve {
  std::string legend;
  std::vector<double> x, y;
  std::vector<double> raw;    // the values before smoothing, drawn faint beneath y (empty: y is unsmoothed)
  std::vector<double> marks;  // x positions marked with a dashed vertical line in the curve's colour
  std::vector<double> error;  // y +- error drawn as a vertical bar at each x (empty: none)
};

// One panel: a name (its y label), its curves (the n-th curve of every panel has the n-th colour), and a dashed
// horizontal reference line where `reference` is finite.
struct Panel {
  std::string name;
  std::vector<Curve> curves;
  double reference = std::numeric_limits<double>::quiet_NaN();
};

enum class YScale { automatic, log, linear };  // automatic: log where a panel stays positive and spans 3x or more

// Panels stacked vertically, 900 px wide and 260 px each under a title line, the x axis labelled `x_label`.
void save_line_plots(const std::vector<Panel>& panels, const std::string& x_label, const std::string& title,
                     const std::string& path, YScale y_scale = YScale::automatic);

}  // namespace scoregen::engine
