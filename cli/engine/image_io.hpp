// Pictures on disk through OpenCV: image grids and 2-D scatter plots as PNG, images read as tensors, and the
// output writer every sampling command shares (.png, .npy or .pt by extension).
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace scoregen::engine {

// Samples [B, C, H, W] with values in `lo..hi` as a PNG grid (nrow columns; 0: a square grid).
void save_image_grid(const at::Tensor& images, const std::string& path, double lo, double hi, int nrow = 0, int pad = 2);
// One image [C, H, W] from a PNG/JPEG file, scaled to lo..hi (channels: 1 grey or 3 RGB).
at::Tensor load_image(const std::string& path, int channels, double lo, double hi);
// 2-D points [B, 2] as a scatter plot PNG.
void save_scatter(const at::Tensor& points, const std::string& path);
// Writes samples by extension: .png (grid or scatter), .npy, .pt.
void save_samples(const at::Tensor& samples, const std::string& path, double lo, double hi);
// Extension and folder check before long work starts (exit 2 on an unsupported one).
void check_output_extension(const std::string& path);

}  // namespace scoregen::engine
