// The score map: both scores on a grid over the data's range, their error, and its picture.
#include "engine/tasks/score_map.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/record.hpp"
#include "engine/io/files.hpp"
#include "engine/io/image_io.hpp"
#include "engine/io/plot_axes.hpp"
#include "engine/io/png_file.hpp"
#include "engine/tasks/sampling.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

constexpr int kGrid = 160;    // error and density resolution per axis
constexpr int kArrows = 17;   // arrows per axis
constexpr int kPanel = 500;   // pixels per panel side

// A [kGrid * kGrid] field (row 0 = the bottom, y = lo) as a kPanel x kPanel picture, the top row first.
cv::Mat field_image(const at::Tensor& values, double lo, double hi, int colormap) {
  at::Tensor v = ((values.reshape({kGrid, kGrid}).flip({0}) - lo) / std::max(hi - lo, 1e-12) * 255.0)
                     .clamp(0, 255).to(at::kByte).contiguous();
  cv::Mat grey(kGrid, kGrid, CV_8UC1, v.data_ptr()), big, color;
  cv::resize(grey, big, {kPanel, kPanel}, 0, 0, cv::INTER_LINEAR);
  cv::applyColorMap(big, color, colormap);
  return color;
}

// The outline of {p >= level} drawn on a panel.
void contour(cv::Mat& panel, const at::Tensor& density, double level, const cv::Scalar& color) {
  at::Tensor d = density.reshape({kGrid, kGrid}).flip({0}).to(at::kFloat).contiguous();
  cv::Mat m(kGrid, kGrid, CV_32FC1, d.data_ptr()), smooth, big;
  cv::resize(m, smooth, {kPanel, kPanel}, 0, 0, cv::INTER_LINEAR);
  cv::threshold(smooth, smooth, level, 255, cv::THRESH_BINARY);
  smooth.convertTo(big, CV_8UC1);
  std::vector<std::vector<cv::Point>> lines;
  cv::findContours(big, lines, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  cv::drawContours(panel, lines, -1, color, 1, cv::LINE_AA);
}

// The heat map's scale beside it: viridis from log10 error `e_lo` (bottom) to `e_hi` (top), ticked at each power of ten.
void colour_bar(cv::Mat& canvas, const cv::Rect& where, double e_lo, double e_hi) {
  cv::Mat ramp(where.height, 1, CV_8UC1), colour;
  for (int i = 0; i < where.height; ++i)
    ramp.at<unsigned char>(i) = cv::saturate_cast<unsigned char>(255.0 * (where.height - 1 - i) / (where.height - 1));
  cv::applyColorMap(ramp, colour, cv::COLORMAP_VIRIDIS);
  cv::resize(colour, colour, where.size(), 0, 0, cv::INTER_NEAREST);
  colour.copyTo(canvas(where));
  const cv::Scalar ink(60, 60, 60);
  cv::rectangle(canvas, where, ink);
  for (double e = e_lo; e <= e_hi + 1e-9; e += 1) {
    const int y = where.y + static_cast<int>(std::lround((e_hi - e) / (e_hi - e_lo) * (where.height - 1)));
    cv::line(canvas, {where.x + where.width, y}, {where.x + where.width + 5, y}, ink);
    cv::putText(canvas, fmt::format("1e{}", static_cast<int>(e)), {where.x + where.width + 8, y + 4},
                cv::FONT_HERSHEY_SIMPLEX, 0.4, ink, 1, cv::LINE_AA);
  }
}

}  // namespace

Report score_map(const ScoreMapRequest& r) {
  check_output_extension(r.out);
  if (extension(r.out) != ".png") throw Error(fmt::format("{}: the score map is a .png", r.out));
  const std::vector<RecordInput> inputs = checkpoint_inputs(r.assembly);
  check_output_apart("--out", r.out, inputs, r.session.pipeline_path);
  Session session = open_session(r.session);
  if (!session.data) throw Error("scoregen score-map: the pipeline needs a [data] set whose density is known (mixture)");
  const Dataset& data = *session.data;
  const at::Tensor probe = at::zeros({1, 2}, at::kDouble), one = at::ones({1}, at::kDouble);
  if (data.shape() != std::vector<std::int64_t>{2} || !data.exact_score(probe, one, one * 0).defined())
    throw Error(fmt::format("scoregen score-map: the {} data set does not know its density in 2-D (use [data] plugin = "
                            "\"mixture\" with 2-D means)", session.pipeline->plugin("data").name));
  Assembly a = assemble(std::move(session), r.assembly);
  const Session& s = a.session;
  const Sde& sde = *s.sde;
  const double t = r.t.value_or(sde.sample_eps());
  if (!(t > 0 && t <= sde.T()))
    throw Error(fmt::format("--time {}: must be in (0, {}] (the SDE's time; at 0 the noised density is the data's own, "
                            "whose score is unbounded)", t, sde.T()));

  // The grid over the data's range (square, so arrows keep their directions).
  const auto [lo, hi] = data.range();
  const int n = kGrid * kGrid;
  at::Tensor axis = at::linspace(lo, hi, kGrid, at::kDouble);
  auto mesh = at::meshgrid({axis, axis}, "ij");  // [i][j]: y = axis[i] (row 0 at the bottom), x = axis[j]
  at::Tensor x = at::stack({mesh[1].reshape({-1}), mesh[0].reshape({-1})}, 1);
  at::Tensor tt = at::full({n}, t, at::kDouble);
  const at::Tensor mean = sde.mean_coeff(tt), std = sde.marginal_std(tt);
  torch::NoGradGuard no_grad;
  at::Tensor exact = data.exact_score(x, mean, std);
  at::Tensor density = at::exp(data.exact_log_prob(x, mean, std));
  at::Tensor model = a.model->score(x.to(at::kFloat).to(s.device), tt.to(at::kFloat).to(s.device)).to(at::kCPU).to(at::kDouble);
  at::Tensor err = (model - exact).norm(2, 1);
  const double peak = density.max().item<double>();
  at::Tensor high = density >= 1e-2 * peak, low = density < 1e-4 * peak;
  auto mean_where = [&](const at::Tensor& m) { return m.any().item<bool>() ? err.masked_select(m).mean().item<double>() : NAN; };
  const double err_high = mean_where(high), err_low = mean_where(low);
  const double weighted = std::sqrt(((density * err * err).sum() / density.sum()).item<double>());
  const double scale = exact.masked_select(high.unsqueeze(1)).abs().mean().item<double>();

  // The picture: two panels with axes.
  const int left = 70, top = 76, gap = 110, bar = 18;
  cv::Mat canvas(top + kPanel + 70, left + 2 * kPanel + gap + 110, CV_8UC3, cv::Scalar(255, 255, 255));
  Axes a1{cv::Rect(left, top, kPanel, kPanel), lo, hi, lo, hi}, a2{cv::Rect(left + kPanel + gap, top, kPanel, kPanel), lo, hi, lo, hi};
  cv::Mat dens = field_image(density, 0, peak, cv::COLORMAP_BONE);
  cv::bitwise_not(dens, dens);  // dark where the data are dense
  dens.copyTo(canvas(a1.area));
  at::Tensor log_err = at::log10(err.clamp_min(1e-3));
  const double e_lo = std::floor(log_err.min().item<double>()), e_hi = std::ceil(log_err.max().item<double>());
  cv::Mat heat = field_image(log_err, e_lo, std::max(e_hi, e_lo + 1), cv::COLORMAP_VIRIDIS);
  contour(heat, density, 1e-2 * peak, cv::Scalar(255, 255, 255));
  contour(heat, density, 1e-4 * peak, cv::Scalar(200, 200, 200));
  heat.copyTo(canvas(a2.area));
  a1.draw(canvas, "x[0]", "x[1]");
  a2.draw(canvas, "x[0]", "x[1]");
  colour_bar(canvas, cv::Rect(a2.area.x + kPanel + 16, top, bar, kPanel), e_lo, std::max(e_hi, e_lo + 1));
  // arrows: the directions of the exact score (black) and of the model's (red), one cell long
  const double cell = (hi - lo) / (kArrows + 1);
  at::Tensor aaxis = at::linspace(lo + cell, hi - cell, kArrows, at::kDouble);
  auto amesh = at::meshgrid({aaxis, aaxis}, "ij");
  at::Tensor ax = at::stack({amesh[1].reshape({-1}), amesh[0].reshape({-1})}, 1);
  at::Tensor at_ = at::full({ax.size(0)}, t, at::kDouble);
  at::Tensor ae = data.exact_score(ax, sde.mean_coeff(at_), sde.marginal_std(at_));
  at::Tensor am = a.model->score(ax.to(at::kFloat).to(s.device), at_.to(at::kFloat).to(s.device)).to(at::kCPU).to(at::kDouble);
  auto arrows = [&](const at::Tensor& v, const cv::Scalar& color) {
    auto p = ax.accessor<double, 2>();
    auto d = v.accessor<double, 2>();
    for (std::int64_t i = 0; i < ax.size(0); ++i) {
      const double len = std::max(std::hypot(d[i][0], d[i][1]), 1e-12);
      const double dx = d[i][0] / len * 0.8 * cell, dy = d[i][1] / len * 0.8 * cell;
      cv::arrowedLine(canvas, a1.to_pixel(p[i][0], p[i][1]), a1.to_pixel(p[i][0] + dx, p[i][1] + dy), color, 1,
                      cv::LINE_AA, 0, 0.3);
    }
  };
  arrows(ae, cv::Scalar(0, 0, 0));
  arrows(am, cv::Scalar(30, 30, 220));
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar ink(30, 30, 30);
  const double sigma = std.max().item<double>();
  cv::putText(canvas, fmt::format("directions of grad log p_t (black) and s_theta (red)"), {left, 20}, font, 0.45, ink, 1,
              cv::LINE_AA);
  cv::putText(canvas, fmt::format("over the density p_t, t = {:.4g} (noise std {:.4g})", t, sigma), {left, 38}, font, 0.45,
              ink, 1, cv::LINE_AA);
  cv::putText(canvas, "|s_theta - grad log p_t|, log scale (the bar on the right)",
              {left + kPanel + gap, 20}, font, 0.45, ink, 1, cv::LINE_AA);
  cv::putText(canvas, "contours: p_t at 1e-2 (white) and 1e-4 (grey) of its peak", {left + kPanel + gap, 38}, font, 0.45,
              ink, 1, cv::LINE_AA);
  const std::string record_text_ = record_text(s, r.out, inputs);
  write_png(canvas, r.out, record_text_);
  const std::string record = write_record(r.out, record_text_);

  Report report;
  report.line(fmt::format("score map at t = {:.4g} (noise std {:.4g}) -> {} (record: {})", t, sigma, r.out, record))
      .line(fmt::format("mean |s_theta - grad log p_t| where p_t >= 1e-2 of its peak (dense): {:.4f}; where p_t < 1e-4 of "
                        "its peak (sparse): {:.4f}; the exact score's mean size where dense: {:.4f}",
                        err_high, err_low, scale))
      .line(fmt::format("p_t-weighted RMS error (what score matching minimises): {:.4f}", weighted));
  report.field("command", "score-map").field("output", r.out).field("record", record).field("t", t)
      .field("error_dense", err_high).field("error_sparse", err_low).field("weighted_rms_error", weighted)
      .field("exact_score_size_dense", scale);
  return report;
}

}  // namespace scoregen::engine
