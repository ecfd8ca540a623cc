// Line plots with OpenCV: axes from plot_axes, curves, legends, marks.
#include "engine/io/line_plot.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/io/plot_axes.hpp"
#include "engine/io/png_file.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

const cv::Scalar kColours[] = {{180, 80, 20}, {40, 40, 200}, {40, 150, 40}, {160, 40, 160}, {0, 140, 200}, {90, 90, 90}};

// The colour `c` mixed 70 % towards white: the unsmoothed values beneath a smoothed curve.
cv::Scalar faint(const cv::Scalar& c) { return c * 0.3 + cv::Scalar(255, 255, 255) * 0.7; }

void dashed(cv::Mat& canvas, cv::Point a, cv::Point b, const cv::Scalar& colour) {
  const double length = std::hypot(b.x - a.x, b.y - a.y);
  for (double s = 0; s < length; s += 12) {
    const double e = std::min(s + 6, length);
    cv::line(canvas, a + (b - a) * (s / length), a + (b - a) * (e / length), colour, 1);
  }
}

void polyline(cv::Mat& canvas, const Axes& axes, const std::vector<double>& x, const std::vector<double>& y,
              const cv::Scalar& colour, int thickness, int dot) {
  std::vector<cv::Point> line;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (std::isfinite(y[i]) && (!axes.log_y || y[i] > 0)) line.push_back(axes.to_pixel(x[i], y[i]));
  cv::polylines(canvas, line, false, colour, thickness, cv::LINE_AA);
  if (dot > 0)
    for (const cv::Point& p : line) cv::circle(canvas, p, dot, colour, cv::FILLED, cv::LINE_AA);
}

}  // namespace

void save_line_plots(const std::vector<Panel>& panels, const std::string& x_label, const std::string& title,
                     const std::string& path, YScale y_scale) {
  if (panels.empty()) throw Error(fmt::format("{}: nothing to plot", path));
  const int width = 900, panel_h = 260, top = 36;
  cv::Mat canvas(top + panel_h * static_cast<int>(panels.size()), width, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(canvas, title, {10, 24}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(30, 30, 30), 1, cv::LINE_AA);
  for (std::size_t k = 0; k < panels.size(); ++k) {
    const Panel& panel = panels[k];
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const Curve& c : panel.curves)
      for (const auto* ys : {&c.y, &c.raw})
        for (std::size_t i = 0; i < c.x.size() && i < ys->size(); ++i) {
          if (!std::isfinite((*ys)[i])) continue;
          const double e = i < c.error.size() && std::isfinite(c.error[i]) ? c.error[i] : 0.0;
          x0 = std::min(x0, c.x[i]), x1 = std::max(x1, c.x[i]);
          y0 = std::min(y0, (*ys)[i] - e), y1 = std::max(y1, (*ys)[i] + e);
        }
    if (std::isfinite(panel.reference)) y0 = std::min(y0, panel.reference), y1 = std::max(y1, panel.reference);
    if (!std::isfinite(x0)) continue;
    if (x1 <= x0) x1 = x0 + 1;
    // a constant (a fixed learning rate): a range of +-10 % around it, so that its ticks are distinct values
    if (y1 - y0 <= 1e-9 * std::max(std::abs(y0), std::abs(y1))) {
      const double pad = y0 != 0 ? 0.1 * std::abs(y0) : 1.0;
      y0 -= pad, y1 += pad;
    }
    const bool positive = y0 > 0;
    const bool log_y = y_scale == YScale::log || (y_scale == YScale::automatic && positive && y1 / y0 >= 3);
    if (log_y && !positive)
      throw Error(fmt::format("{}: --y-scale log: {} has values <= 0 (use --y-scale linear)", path, panel.name));
    if (log_y) {
      const double m = std::pow(y1 / y0, 0.04);
      y0 /= m, y1 *= m;
    } else {
      const double m = (y1 - y0) * 0.05;
      y0 -= m, y1 += m;
    }
    Axes axes{cv::Rect(90, top + static_cast<int>(k) * panel_h + 24, width - 120, panel_h - 80), x0, x1, y0, y1, log_y};
    axes.draw(canvas, k + 1 == panels.size() ? x_label : "", panel.name + (log_y ? " (log scale)" : ""));
    if (std::isfinite(panel.reference))
      dashed(canvas, axes.to_pixel(x0, panel.reference), axes.to_pixel(x1, panel.reference), cv::Scalar(120, 120, 120));
    const bool several = panel.curves.size() > 1;
    for (std::size_t c = 0; c < panel.curves.size(); ++c) {
      const Curve& curve = panel.curves[c];
      const cv::Scalar colour = kColours[c % 6];
      for (double m : curve.marks)
        if (m >= x0 && m <= x1) {
          const cv::Point p = axes.to_pixel(m, y0);
          dashed(canvas, {p.x, axes.area.y}, {p.x, axes.area.y + axes.area.height - 1}, colour);
          cv::putText(canvas, "resumed", {p.x + 3, axes.area.y + axes.area.height - 6}, cv::FONT_HERSHEY_SIMPLEX, 0.35,
                      colour, 1, cv::LINE_AA);
        }
      if (!curve.raw.empty()) polyline(canvas, axes, curve.x, curve.raw, faint(colour), 1, 0);
      polyline(canvas, axes, curve.x, curve.y, colour, 2, several || !curve.error.empty() ? 3 : 0);
      for (std::size_t i = 0; i < curve.error.size() && i < curve.x.size(); ++i) {  // y +- error, capped
        const double lo = curve.y[i] - curve.error[i], hi = curve.y[i] + curve.error[i];
        if (!std::isfinite(lo) || !std::isfinite(hi) || (log_y && lo <= 0)) continue;
        const cv::Point a = axes.to_pixel(curve.x[i], lo), b = axes.to_pixel(curve.x[i], hi);
        cv::line(canvas, a, b, colour, 1, cv::LINE_AA);
        for (const cv::Point& end : {a, b}) cv::line(canvas, end + cv::Point(-4, 0), end + cv::Point(4, 0), colour, 1, cv::LINE_AA);
      }
      if (several) {  // legend, top right, one line per curve, as wide as its longest name
        int widest = 0;
        for (const Curve& other : panel.curves)
          widest = std::max(widest, cv::getTextSize(other.legend, cv::FONT_HERSHEY_SIMPLEX, 0.4, 1, nullptr).width);
        const cv::Point at(axes.area.x + axes.area.width - 34 - widest, axes.area.y + 14 + 15 * static_cast<int>(c));
        cv::line(canvas, at + cv::Point(0, -4), at + cv::Point(18, -4), colour, 2, cv::LINE_AA);
        cv::putText(canvas, curve.legend, at + cv::Point(24, 0), cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(30, 30, 30),
                    1, cv::LINE_AA);
      }
    }
  }
  write_png(canvas, path, "");
}

}  // namespace scoregen::engine
