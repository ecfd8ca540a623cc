// Writing arrays and pictures: .npy, .pt (readable by Python's torch.load), PNG grids and scatter plots.
#pragma once

#include <string>

#include <ATen/ATen.h>

#include "scoregen/api.hpp"

namespace scoregen {

// Writes `data` to a temporary name beside `path` and renames it (no partial files).
SCOREGEN_API void write_file_atomic(const std::string& path, const std::string& data);
SCOREGEN_API std::string read_file(const std::string& path);

SCOREGEN_API void save_npy(const at::Tensor& tensor, const std::string& path);
SCOREGEN_API at::Tensor load_npy(const std::string& path);
SCOREGEN_API void save_pt(const at::Tensor& tensor, const std::string& path);
SCOREGEN_API at::Tensor load_pt(const std::string& path);
// Samples [B, C, H, W] with values in `lo..hi` as a PNG grid (nrow columns).
SCOREGEN_API void save_image_grid(const at::Tensor& images, const std::string& path, double lo, double hi,
                                  int nrow = 0, int pad = 2);
// One image [C, H, W] from a PNG/JPEG file, scaled to lo..hi (OpenCV; channels: 1 grey or 3 RGB).
SCOREGEN_API at::Tensor load_image(const std::string& path, int channels, double lo, double hi);
// 2-D points [B, 2] as a scatter plot PNG.
SCOREGEN_API void save_scatter(const at::Tensor& points, const std::string& path);
// Writes samples by extension: .png (grid or scatter), .npy, .pt.
SCOREGEN_API void save_samples(const at::Tensor& samples, const std::string& path, double lo, double hi);
// Extension check before long work starts (exit 2 on an unsupported one).
SCOREGEN_API void check_output_extension(const std::string& path);

}  // namespace scoregen
