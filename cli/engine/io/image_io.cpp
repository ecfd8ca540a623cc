// PNG grids, scatter plots with axes (OpenCV drawing), image loading, writing samples by extension,
// and the record as a PNG text chunk.
#include "engine/io/image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "engine/io/plot_axes.hpp"
#include "engine/io/png_file.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

std::string numbered(const std::string& path, std::int64_t i) {
  fs::path p(path);
  return (p.parent_path() / fmt::format("{}_{:03}{}", p.stem().string(), i, p.extension().string())).string();
}

at::Tensor load_image(const std::string& path, int channels, double lo, double hi) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(fmt::format("{}: no such file", path));
  if (!fs::is_regular_file(path, ec))
    throw Error(fmt::format("{}: not a regular file (a folder, pipe, device or socket); give an image file", path));
  cv::Mat img;
  try {
    SilencedStderr quiet;  // libpng's own line for a damaged file: the error below says it once
    img = cv::imread(path, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {  // OpenCV's own checks of the header, e.g. a size beyond CV_IO_MAX_IMAGE_PIXELS
    throw Error(fmt::format("{}: not a readable image ({})", path, e.err));
  }
  if (img.empty()) throw Error(fmt::format("{}: not a readable image", path));
  if (img.depth() != CV_8U) throw Error(fmt::format("{}: only 8-bit images are supported", path));
  if (channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  at::Tensor t = at::from_blob(img.data, {img.rows, img.cols, channels}, at::kByte).permute({2, 0, 1}).to(at::kFloat);
  return lo + (hi - lo) * t / 255.0;
}

void save_image_grid(const at::Tensor& images, const std::string& path, double lo, double hi, const PictureOptions& o) {
  if (images.dim() != 4) throw Error(fmt::format("{}: an image grid needs [B, C, H, W] samples", path));
  const auto b = images.size(0), c = images.size(1);
  if (c != 1 && c != 3) throw Error(fmt::format("{}: images need 1 or 3 channels, got {}", path, c));
  at::Tensor u8 = ((images.detach().to(at::kCPU).to(at::kFloat) - lo) / (hi - lo) * 255.0)
                      .round().clamp(0, 255).to(at::kByte).permute({0, 2, 3, 1}).contiguous();
  const int width = static_cast<int>(images.size(3));
  const int scale = o.scale > 0 ? o.scale : o.grid ? std::max(1, (kGridTile + width - 1) / width) : 1;
  const int h = static_cast<int>(images.size(2)) * scale, w = width * scale;
  auto tile = [&](std::int64_t i) {
    cv::Mat t(static_cast<int>(images.size(2)), static_cast<int>(images.size(3)), c == 1 ? CV_8UC1 : CV_8UC3, u8[i].data_ptr());
    cv::Mat bgr;
    if (c == 3) cv::cvtColor(t, bgr, cv::COLOR_RGB2BGR);
    else bgr = t.clone();
    if (scale > 1) cv::resize(bgr, bgr, {w, h}, 0, 0, cv::INTER_NEAREST);  // nearest neighbour: pixels stay pixels
    return bgr;
  };
  if (!o.grid) {
    for (std::int64_t i = 0; i < b; ++i) write_png(tile(i), numbered(path, i), o.record);
    return;
  }
  const int pad = o.pad;
  const int cols = o.nrow > 0 ? o.nrow : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(b))));
  const int rows = static_cast<int>((b + cols - 1) / cols);
  cv::Mat grid(rows * (h + pad) + pad, cols * (w + pad) + pad, c == 1 ? CV_8UC1 : CV_8UC3, cv::Scalar::all(0));
  for (std::int64_t i = 0; i < b; ++i) {
    const int r = static_cast<int>(i / cols), col = static_cast<int>(i % cols);
    tile(i).copyTo(grid(cv::Rect(pad + col * (w + pad), pad + r * (h + pad), w, h)));
  }
  write_png(grid, path, o.record);
}

void save_scatter(const at::Tensor& points, const std::string& path, const PictureOptions& o) {
  if (points.dim() != 2 || points.size(1) != 2) throw Error(fmt::format("{}: a scatter plot needs [B, 2] samples", path));
  at::Tensor p = points.detach().to(at::kCPU).to(at::kDouble).contiguous();
  at::Tensor all = o.overlay.defined() ? at::cat({p, o.overlay.detach().to(at::kCPU).to(at::kDouble).reshape({-1, 2})}) : p;
  // The plotted range: the 0.5% - 99.5% quantiles of everything drawn, with a margin, equal on both axes so that
  // shapes keep their proportions; stray points outside it are counted in the title.
  at::Tensor lo = at::quantile(all, 0.005, 0), hi = at::quantile(all, 0.995, 0);
  at::Tensor mid = (lo + hi) / 2;
  const double half = std::max(((hi - lo).max() / 2 * 1.15).item<double>(), 1e-6);
  const double cx = mid[0].item<double>(), cy = mid[1].item<double>();
  const int size = 720;
  cv::Mat canvas(size, size, CV_8UC3, cv::Scalar(255, 255, 255));
  Axes axes{cv::Rect(70, 62, size - 100, size - 126), cx - half, cx + half, cy - half, cy + half};
  axes.draw(canvas, "x[0]", "x[1]");
  cv::Mat ink = canvas.clone();
  auto inside = [&](const cv::Point& q) { return axes.area.contains(q); };
  if (o.overlay.defined()) {
    at::Tensor ov = o.overlay.detach().to(at::kCPU).to(at::kDouble).reshape({-1, 2}).contiguous();
    auto a = ov.accessor<double, 2>();
    for (std::int64_t i = 0; i < ov.size(0); ++i) {
      cv::Point q = axes.to_pixel(a[i][0], a[i][1]);
      if (inside(q)) cv::circle(ink, q, 2, cv::Scalar(170, 170, 170), cv::FILLED);
    }
  }
  auto acc = p.accessor<double, 2>();
  std::int64_t outside = 0;
  std::vector<cv::Point> line;
  for (std::int64_t i = 0; i < p.size(0); ++i) line.push_back(axes.to_pixel(acc[i][0], acc[i][1]));
  if (o.path) cv::polylines(ink, line, false, cv::Scalar(20, 120, 230), 2, cv::LINE_AA);  // the path beneath its points
  for (const cv::Point& q : line) {
    if (inside(q)) cv::circle(ink, q, o.path ? 4 : 2, cv::Scalar(180, 80, 20), cv::FILLED);
    else ++outside;
  }
  cv::addWeighted(ink, 0.7, canvas, 0.3, 0.0, canvas);
  std::string title = fmt::format("{} points{}, x[0] in [{:.3g}, {:.3g}], x[1] in [{:.3g}, {:.3g}]{}", p.size(0),
                                  o.overlay.defined() ? " (grey: data)" : "", cx - half, cx + half, cy - half, cy + half,
                                  outside ? fmt::format(", {} outside", outside) : std::string());
  cv::putText(canvas, title, {10, 24}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(30, 30, 30), 1, cv::LINE_AA);
  write_png(canvas, path, o.record);
}

void check_output_extension(const std::string& path) {
  std::string ext = extension(path);
  if (ext != ".png" && ext != ".npy" && ext != ".pt")
    throw Error(fmt::format("{}: unsupported output type '{}' (use .png, .npy or .pt)", path, ext));
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent))
    throw Error(fmt::format("{}: the folder {} does not exist", path, parent.string()));
}

void check_picture_options(const PictureOptions& o, const std::string& path, const std::vector<std::int64_t>& shape) {
  if (!o.scale_given && !o.grid_given) return;
  const char* flags = o.scale_given && o.grid_given ? "--scale and --grid" : o.scale_given ? "--scale" : "--grid";
  const std::string ext = extension(path);
  if (ext == ".npy" || ext == ".pt")
    throw Error(fmt::format("{} shape(s) pictures of images; {} is written as an array ({}): drop it, or write a .png",
                            flags, path, ext));
  if (shape.size() == 1 && shape[0] == 2)
    throw Error(fmt::format("{} shape(s) grids of images; the 2-D samples in {} are drawn as a scatter plot: drop it",
                            flags, path));
}

void save_samples(const at::Tensor& samples, const std::string& path, double lo, double hi, const PictureOptions& o) {
  check_output_extension(path);
  check_picture_options(o, path, std::vector<std::int64_t>(samples.sizes().begin() + 1, samples.sizes().end()));
  std::string ext = extension(path);
  if (ext == ".npy") return save_npy(samples, path);
  if (ext == ".pt") return save_pt(samples, path);
  if (samples.dim() == 2 && samples.size(1) == 2) return save_scatter(samples, path, o);
  if (samples.dim() == 4) return save_image_grid(samples, path, lo, hi, o);
  throw Error(fmt::format("{}: samples of shape {} can be saved as .npy or .pt, not as a picture", path,
                          fmt::format("{}", fmt::join(samples.sizes(), "x"))));
}

}  // namespace scoregen::engine
