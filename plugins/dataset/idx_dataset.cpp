// MNIST / Fashion-MNIST IDX files (gzip or not, read through zlib) with their labels.
#include <filesystem>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "idx_file.hpp"
#include "image_dataset.hpp"
#include "scoregen/error.hpp"

namespace scoregen::plugins {

namespace {

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
  IdxDataset(const Settings& s, const Options& o, const BuildContext& ctx) : ImageDataset(s, o) {
    const std::string images_path = file_for(ctx.file(s.images), ctx.file(s.root), s.split, "-images-idx3-ubyte.gz");
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
      const std::string labels_path = file_for(ctx.file(s.labels), ctx.file(s.root), s.split, "-labels-idx1-ubyte.gz");
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
