// MNIST / Fashion-MNIST IDX files (gzip or not, read through zlib) with their labels.
#include <zlib.h>

#include <cstring>
#include <filesystem>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "image_dataset.hpp"
#include "scoregen/error.hpp"

namespace scoregen::plugins {

namespace {

// Whole file through gzread (which also reads uncompressed files as they are).
std::string read_maybe_gz(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(fmt::format("{}: no such file", path));
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(fmt::format("{}: cannot open", path));
  std::string data;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string what = err < 0 ? msg : "";
  gzclose(f);
  if (n < 0 || err < 0) throw Error(fmt::format("{}: corrupt gzip data ({})", path, what));
  return data;
}

std::uint32_t be32(const std::string& d, std::size_t off) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 3]));
}

// An IDX file of unsigned bytes: magic 0x0000 08 <ndim>, then ndim big-endian sizes, then the data.
at::Tensor read_idx(const std::string& path, int expected_dims) {
  std::string d = read_maybe_gz(path);
  if (d.size() < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0x08)
    throw Error(fmt::format("{}: not an IDX file of unsigned bytes", path));
  const int ndim = static_cast<unsigned char>(d[3]);
  if (ndim != expected_dims)
    throw Error(fmt::format("{}: expected an IDX file with {} dimensions, it has {}", path, expected_dims, ndim));
  std::vector<std::int64_t> shape;
  std::size_t total = 1, off = 4;
  if (d.size() < off + 4 * static_cast<std::size_t>(ndim)) throw Error(fmt::format("{}: truncated IDX header", path));
  for (int i = 0; i < ndim; ++i, off += 4) {
    shape.push_back(be32(d, off));
    total *= shape.back();
  }
  if (d.size() != off + total)
    throw Error(fmt::format("{}: IDX data is {} bytes, the header promises {}", path, d.size() - off, total));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(at::kByte));
  std::memcpy(t.data_ptr(), d.data() + off, total);
  return t;
}

std::string file_for(const std::string& explicit_path, const std::string& root, const std::string& split,
                     const char* suffix) {
  if (!explicit_path.empty()) return explicit_path;
  // <split><suffix>.gz, or the plain file without .gz (as unpacked from the archive)
  const std::string gz = (std::filesystem::path(root) / (split + suffix)).string();
  const std::string plain = gz.substr(0, gz.size() - 3);
  return !std::filesystem::exists(gz) && std::filesystem::exists(plain) ? plain : gz;
}

}  // namespace

class IdxDataset : public ImageDataset {
 public:
  struct Settings : ImageTransformSettings {
    std::string root = "/usr/share/datasets/fashion-mnist", split = "train", images, labels;
    bool labelled = true;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::root, "root", "folder holding <split>-images-idx3-ubyte.gz and <split>-labels-idx1-ubyte.gz (or the "
                               "same without .gz)")
        .reads_file();
    d(&Settings::split, "split", "train or t10k (the test set)").one_of({"train", "t10k"});
    d(&Settings::images, "images", "explicit images file (overrides root/split)").reads_file();
    d(&Settings::labels, "labels", "explicit labels file (overrides root/split)").reads_file();
    d(&Settings::labelled, "labelled", "read the labels file");
    declare_image_transforms(d);
  }
  IdxDataset(const Settings& s, const Options& o, const BuildContext&) : ImageDataset(s, o) {
    const std::string images_path = file_for(s.images, s.root, s.split, "-images-idx3-ubyte.gz");
    at::Tensor images;
    try {
      images = read_idx(images_path, 3).unsqueeze(1);  // [N, 1, H, W]
    } catch (const Error& e) {
      o.fail(s.images.empty() ? "root" : "images", e.what());
    }
    if (images.size(0) == 0) o.fail(s.images.empty() ? "root" : "images", fmt::format("{}: holds no images", images_path));
    at::Tensor labels;
    std::int64_t classes = 0;
    if (s.labelled) {
      const std::string labels_path = file_for(s.labels, s.root, s.split, "-labels-idx1-ubyte.gz");
      try {
        labels = read_idx(labels_path, 1).to(at::kLong);
      } catch (const Error& e) {
        o.fail(s.labels.empty() ? "root" : "labels", e.what());
      }
      if (labels.size(0) != images.size(0))
        o.fail("labels", fmt::format("{} labels for {} images", labels.size(0), images.size(0)));
      classes = labels.max().item<std::int64_t>() + 1;
    }
    set_images(images, labels, classes);
  }
};

SCOREGEN_PLUGIN(Dataset, "idx", "MNIST / Fashion-MNIST IDX files (gzip or plain) with labels", IdxDataset);

}  // namespace scoregen::plugins
