// A plot area with a frame, round ticks, grid lines and labels, drawn with OpenCV; maps data to pixels.
// Shared by the scatter plots, the metric plots and the score maps.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace scoregen::engine {

// About `target` round tick values (1, 2 or 5 times a power of ten) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

struct Axes {
  cv::Rect area;
  double x0, x1, y0, y1;
  bool log_y = false;
  cv::Point to_pixel(double x, double y) const;
  // Frame, ticks with their values, grid lines, the x label below and the y label above the area.
  void draw(cv::Mat& canvas, const std::string& x_label, const std::string& y_label) const;
};

}  // namespace scoregen::engine
