// Pictures on disk through OpenCV: image grids, 2-D scatter plots with axes, images read as
// tensors, and the output writer every sampling command shares (.png, .npy or .pt by extension). PNGs can carry the
// record of how they were made in a text chunk.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace scoregen::engine {

struct PictureOptions {
  int nrow = 0;            // grid columns (0: a square grid)
  int pad = 2;             // pixels between grid tiles
  int scale = 0;           // nearest-neighbour magnification of each image (0: by the tile size, kGridTile)
  bool grid = true;        // false: one PNG per sample, PATH_000.png, PATH_001.png, ...
  std::string record;      // the record, embedded in every PNG as a text chunk "scoregen-record"
  at::Tensor overlay;      // 2-D scatter: data points drawn beneath the samples (optional)
  bool path = false;       // 2-D scatter: join the points in their order (an interpolation path)
  bool scale_given = false, grid_given = false;  // --scale / --grid on the command line (else the defaults above)
};
// Without --scale, a grid magnifies its tiles to at least this many pixels wide (a 28x28 image 3x, 32x32 2x), so that
// it is readable where it is looked at; one PNG per sample (--grid off) stays at the data's own size.
constexpr int kGridTile = 64;
// --scale and --grid shape image grids: given for an array output (.npy, .pt) or a 2-D scatter plot (samples of
// `shape` [2]) they cannot take effect, and are an error naming the output.
void check_picture_options(const PictureOptions& o, const std::string& path, const std::vector<std::int64_t>& shape);

// The file of image i written with grid = false: PATH_000.png, PATH_001.png, ...
std::string numbered(const std::string& path, std::int64_t i);
// Samples [B, C, H, W] with values in `lo..hi` as a PNG grid (or one PNG each).
void save_image_grid(const at::Tensor& images, const std::string& path, double lo, double hi, const PictureOptions& o = {});
// One image [C, H, W] from a PNG/JPEG file, scaled to lo..hi (channels: 1 grey or 3 RGB).
at::Tensor load_image(const std::string& path, int channels, double lo, double hi);
// 2-D points [B, 2] as a scatter plot with axes, ticks and the plotted range stated.
void save_scatter(const at::Tensor& points, const std::string& path, const PictureOptions& o = {});
// Writes samples by extension: .png (grid or scatter), .npy, .pt.
void save_samples(const at::Tensor& samples, const std::string& path, double lo, double hi, const PictureOptions& o = {});
// Extension and folder check before long work starts (exit 2 on an unsupported one).
void check_output_extension(const std::string& path);

}  // namespace scoregen::engine
