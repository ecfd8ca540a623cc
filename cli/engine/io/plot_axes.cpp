// Axes, ticks and labels drawn with OpenCV.
#include "engine/io/plot_axes.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace scoregen::engine {

std::vector<double> nice_ticks(double lo, double hi, int target) {
  const double span = std::max(hi - lo, 1e-12);
  const double raw = span / target, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step)
    ticks.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return ticks;
}

namespace {
std::string tick_text(double v) { return fmt::format("{:.6g}", v); }
}  // namespace

cv::Point Axes::to_pixel(double x, double y) const {
  const double fy = log_y ? (std::log10(y) - std::log10(y0)) / (std::log10(y1) - std::log10(y0)) : (y - y0) / (y1 - y0);
  return {area.x + static_cast<int>(std::lround((x - x0) / (x1 - x0) * (area.width - 1))),
          area.y + static_cast<int>(std::lround((1.0 - fy) * (area.height - 1)))};
}

void Axes::draw(cv::Mat& canvas, const std::string& x_label, const std::string& y_label) const {
  const cv::Scalar ink(60, 60, 60), grid(225, 225, 225);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  for (double t : nice_ticks(x0, x1)) {
    cv::Point p = to_pixel(t, log_y ? y0 : y0);
    cv::line(canvas, {p.x, area.y}, {p.x, area.y + area.height - 1}, grid);
    cv::line(canvas, {p.x, area.y + area.height}, {p.x, area.y + area.height + 5}, ink);
    const std::string s = tick_text(t);
    int base = 0;
    cv::Size sz = cv::getTextSize(s, font, 0.4, 1, &base);
    cv::putText(canvas, s, {p.x - sz.width / 2, area.y + area.height + 20}, font, 0.4, ink, 1, cv::LINE_AA);
  }
  std::vector<double> yt;
  if (log_y) {
    // powers of ten; where fewer than two fall in the range, 1, 2 and 5 times them; else round linear values
    for (const std::vector<double>& mantissas : {std::vector<double>{1}, std::vector<double>{1, 2, 5}}) {
      yt.clear();
      for (double e = std::floor(std::log10(y0)); e <= std::ceil(std::log10(y1)); e += 1)
        for (double m : mantissas)
          if (m * std::pow(10.0, e) >= y0 && m * std::pow(10.0, e) <= y1) yt.push_back(m * std::pow(10.0, e));
      if (yt.size() >= 2) break;
    }
    if (yt.size() < 2) yt = nice_ticks(y0, y1, 4);
  } else {
    yt = nice_ticks(y0, y1);
  }
  for (double t : yt) {
    cv::Point p = to_pixel(x0, t);
    cv::line(canvas, {area.x, p.y}, {area.x + area.width - 1, p.y}, grid);
    cv::line(canvas, {area.x - 5, p.y}, {area.x, p.y}, ink);
    const std::string s = tick_text(t);
    int base = 0;
    cv::Size sz = cv::getTextSize(s, font, 0.4, 1, &base);
    cv::putText(canvas, s, {area.x - 8 - sz.width, p.y + 4}, font, 0.4, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, area, ink);
  if (!x_label.empty())
    cv::putText(canvas, x_label,
                {area.x + area.width / 2 - 4 * static_cast<int>(x_label.size()), area.y + area.height + 38}, font, 0.45,
                ink, 1, cv::LINE_AA);
  if (!y_label.empty()) cv::putText(canvas, y_label, {area.x, area.y - 8}, font, 0.45, ink, 1, cv::LINE_AA);
}

}  // namespace scoregen::engine
