// PNG grids and scatter plots (OpenCV), image loading, and writing samples by extension.
#include "engine/image_io.hpp"

#include <cmath>
#include <filesystem>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/array_io.hpp"
#include "engine/files.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {
void write_png(const cv::Mat& image, const std::string& path) {
  std::vector<unsigned char> buf;
  if (!cv::imencode(".png", image, buf)) throw Error(fmt::format("{}: PNG encoding failed", path));
  write_file_atomic(path, std::string(buf.begin(), buf.end()));
}
}  // namespace

at::Tensor load_image(const std::string& path, int channels, double lo, double hi) {
  if (!fs::is_regular_file(path)) throw Error(fmt::format("{}: no such file", path));
  cv::Mat img = cv::imread(path, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (img.empty()) throw Error(fmt::format("{}: not a readable image", path));
  if (img.depth() != CV_8U) throw Error(fmt::format("{}: only 8-bit images are supported", path));
  if (channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  at::Tensor t = at::from_blob(img.data, {img.rows, img.cols, channels}, at::kByte).permute({2, 0, 1}).to(at::kFloat);
  return lo + (hi - lo) * t / 255.0;
}

void save_image_grid(const at::Tensor& images, const std::string& path, double lo, double hi, int nrow, int pad) {
  if (images.dim() != 4) throw Error(fmt::format("{}: an image grid needs [B, C, H, W] samples", path));
  const auto b = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  if (c != 1 && c != 3) throw Error(fmt::format("{}: images need 1 or 3 channels, got {}", path, c));
  if (nrow <= 0) nrow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(b))));
  const int cols = nrow, rows = static_cast<int>((b + cols - 1) / cols);
  at::Tensor u8 = ((images.detach().to(at::kCPU).to(at::kFloat) - lo) / (hi - lo) * 255.0)
                      .round().clamp(0, 255).to(at::kByte).permute({0, 2, 3, 1}).contiguous();
  cv::Mat grid(rows * (static_cast<int>(h) + pad) + pad, cols * (static_cast<int>(w) + pad) + pad,
               c == 1 ? CV_8UC1 : CV_8UC3, cv::Scalar::all(0));
  for (std::int64_t i = 0; i < b; ++i) {
    cv::Mat tile(static_cast<int>(h), static_cast<int>(w), c == 1 ? CV_8UC1 : CV_8UC3, u8[i].data_ptr());
    cv::Mat bgr;
    if (c == 3) cv::cvtColor(tile, bgr, cv::COLOR_RGB2BGR);
    else bgr = tile;
    int r = static_cast<int>(i / cols), col = static_cast<int>(i % cols);
    bgr.copyTo(grid(cv::Rect(pad + col * (static_cast<int>(w) + pad), pad + r * (static_cast<int>(h) + pad),
                             static_cast<int>(w), static_cast<int>(h))));
  }
  write_png(grid, path);
}

void save_scatter(const at::Tensor& points, const std::string& path) {
  if (points.dim() != 2 || points.size(1) != 2) throw Error(fmt::format("{}: a scatter plot needs [B, 2] samples", path));
  at::Tensor p = points.detach().to(at::kCPU).to(at::kDouble).contiguous();
  // Axis range: the 0.5% - 99.5% quantiles with a margin, so stray points do not shrink the picture.
  at::Tensor lo = at::quantile(p, 0.005, 0), hi = at::quantile(p, 0.995, 0);
  at::Tensor span = (hi - lo).clamp_min(1e-6);
  lo = lo - 0.1 * span, hi = hi + 0.1 * span;
  const int size = 512;
  cv::Mat canvas(size, size, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat ink = canvas.clone();
  auto acc = p.accessor<double, 2>();
  double x0 = lo[0].item<double>(), x1 = hi[0].item<double>(), y0 = lo[1].item<double>(), y1 = hi[1].item<double>();
  for (std::int64_t i = 0; i < p.size(0); ++i) {
    int px = static_cast<int>((acc[i][0] - x0) / (x1 - x0) * (size - 1));
    int py = static_cast<int>((1.0 - (acc[i][1] - y0) / (y1 - y0)) * (size - 1));
    if (px >= 0 && px < size && py >= 0 && py < size) cv::circle(ink, {px, py}, 2, cv::Scalar(180, 80, 20), cv::FILLED);
  }
  cv::addWeighted(ink, 0.6, canvas, 0.4, 0.0, canvas);
  write_png(canvas, path);
}

void check_output_extension(const std::string& path) {
  std::string ext = extension(path);
  if (ext != ".png" && ext != ".npy" && ext != ".pt")
    throw Error(fmt::format("{}: unsupported output type '{}' (use .png, .npy or .pt)", path, ext));
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent))
    throw Error(fmt::format("{}: the folder {} does not exist", path, parent.string()));
}

void save_samples(const at::Tensor& samples, const std::string& path, double lo, double hi) {
  check_output_extension(path);
  std::string ext = extension(path);
  if (ext == ".npy") return save_npy(samples, path);
  if (ext == ".pt") return save_pt(samples, path);
  if (samples.dim() == 2 && samples.size(1) == 2) return save_scatter(samples, path);
  if (samples.dim() == 4) return save_image_grid(samples, path, lo, hi);
  throw Error(fmt::format("{}: samples of shape {} can be saved as .npy or .pt, not as a picture", path,
                          fmt::format("{}", fmt::join(samples.sizes(), "x"))));
}

}  // namespace scoregen::engine
