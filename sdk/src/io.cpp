// Arrays and pictures on disk: atomic writes, .npy, .pt (torch pickle), PNG grids and scatter plots (OpenCV).
#include "scoregen/io.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/script.h>

#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen {

namespace {
std::string extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}
}  // namespace

void write_file_atomic(const std::string& path, const std::string& data) {
  fs::path target(path);
  if (target.has_parent_path() && !fs::is_directory(target.parent_path()))
    throw Error(fmt::format("{}: the folder {} does not exist", path, target.parent_path().string()));
  std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("{}: cannot write", path));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("{}: write failed", path));
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
}

std::string read_file(const std::string& path) {
  if (fs::is_directory(path)) throw Error(fmt::format("{}: is a directory, expected a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open file", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void save_npy(const at::Tensor& tensor, const std::string& path) {
  // NumPy format 1.0: magic, header length, a Python dict literal padded to 64 bytes, raw data.
  at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
  std::string descr;
  if (t.scalar_type() == at::kFloat) descr = "<f4";
  else if (t.scalar_type() == at::kDouble) descr = "<f8";
  else if (t.scalar_type() == at::kLong) descr = "<i8";
  else if (t.scalar_type() == at::kByte) descr = "|u1";
  else t = t.to(at::kFloat), descr = "<f4";
  std::string shape;
  for (auto s : t.sizes()) shape += fmt::format("{}, ", s);
  if (t.dim() > 1) shape.resize(shape.size() - 2);
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  std::size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  auto len = static_cast<std::uint16_t>(header.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  write_file_atomic(path, out);
}

at::Tensor load_npy(const std::string& path) {
  std::string data = read_file(path);
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) throw Error(fmt::format("{}: not a .npy file", path));
  std::size_t hlen, off;
  if (data[6] == 1) {
    hlen = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8), off = 10;
  } else {
    if (data.size() < 12) throw Error(fmt::format("{}: truncated .npy header", path));
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<std::size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    off = 12;
  }
  if (data.size() < off + hlen) throw Error(fmt::format("{}: truncated .npy header", path));
  std::string header = data.substr(off, hlen);
  auto field = [&](const std::string& key) {
    auto p = header.find("'" + key + "'");
    if (p == std::string::npos) throw Error(fmt::format("{}: .npy header has no '{}'", path, key));
    return header.substr(header.find(':', p) + 1);
  };
  std::string descr = field("descr");
  descr = descr.substr(descr.find('\'') + 1);
  descr = descr.substr(0, descr.find('\''));
  if (field("fortran_order").find("True") < field("fortran_order").find(',')) throw Error(fmt::format("{}: Fortran-order .npy is not supported", path));
  std::string shape_text = field("shape");
  shape_text = shape_text.substr(shape_text.find('(') + 1, shape_text.find(')') - shape_text.find('(') - 1);
  std::vector<std::int64_t> shape;
  std::stringstream ss(shape_text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(item));
  at::ScalarType type;
  if (descr == "<f4") type = at::kFloat;
  else if (descr == "<f8") type = at::kDouble;
  else if (descr == "<i8") type = at::kLong;
  else if (descr == "<i4") type = at::kInt;
  else if (descr == "|u1") type = at::kByte;
  else throw Error(fmt::format("{}: unsupported .npy dtype '{}'", path, descr));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  std::size_t bytes = static_cast<std::size_t>(t.numel()) * t.element_size();
  if (data.size() != off + hlen + bytes)
    throw Error(fmt::format("{}: .npy data is {} bytes, the header promises {}", path, data.size() - off - hlen, bytes));
  std::memcpy(t.data_ptr(), data.data() + off + hlen, bytes);
  return t;
}

void save_pt(const at::Tensor& tensor, const std::string& path) {
  // torch::pickle_save writes the zip format Python's torch.load reads.
  std::vector<char> bytes = torch::pickle_save(tensor.detach().to(at::kCPU).contiguous());
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

at::Tensor load_pt(const std::string& path) {
  std::string data = read_file(path);
  try {
    c10::IValue v = torch::pickle_load(std::vector<char>(data.begin(), data.end()));
    if (!v.isTensor()) throw Error(fmt::format("{}: holds no tensor", path));
    return v.toTensor();
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: not a tensor file readable by torch ({})", path, e.what_without_backtrace()));
  }
}

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

}  // namespace scoregen
