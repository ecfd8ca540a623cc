// A folder of PNG/JPEG images read with OpenCV, resized, with class labels from subfolders.
#include <algorithm>
#include <filesystem>

#include <ATen/ATen.h>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_dataset.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::plugins {

class ImagesDataset : public ImageDataset {
 public:
  struct Settings : ImageTransformSettings {
    std::string root;
    std::int64_t size = 32, channels = 3;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::root, "root", "the folder").required().reads_file();
    d(&Settings::size, "size", "resize to size x size").at_least(4);
    d(&Settings::channels, "channels", "1 (grey) or 3 (RGB)").at_least(1).at_most(3);
    declare_image_transforms(d);
  }
  ImagesDataset(const Settings& s, const Options& o, const BuildContext& ctx) : ImageDataset(s, o) {
    const fs::path root = ctx.file(s.root);
    const int size = static_cast<int>(s.size);
    const int channels = static_cast<int>(s.channels);
    if (channels != 1 && channels != 3) o.fail("channels", "must be 1 or 3");
    if (!fs::is_directory(root)) o.fail("root", fmt::format("{} is not a folder", root.string()));
    // Class = subfolder (sorted); files directly in root form class 0 when there are no subfolders.
    std::vector<fs::path> classes;
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory()) classes.push_back(e.path());
    std::sort(classes.begin(), classes.end());
    if (classes.empty()) classes.push_back(root);
    std::vector<at::Tensor> images;
    std::vector<std::int64_t> labels;
    for (std::size_t k = 0; k < classes.size(); ++k) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(classes[k])) {
        std::string ext = e.path().extension().string();
        for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        cv::Mat img = cv::imread(f.string(), channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
        if (img.empty()) o.fail("root", fmt::format("{}: not a readable image", f.string()));
        if (channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
        cv::resize(img, img, {size, size}, 0, 0, cv::INTER_AREA);
        at::Tensor t = at::from_blob(img.data, {size, size, channels}, at::kByte).permute({2, 0, 1}).clone();
        images.push_back(t);
        labels.push_back(static_cast<std::int64_t>(k));
      }
    }
    if (images.empty()) o.fail("root", fmt::format("no .png or .jpg images in {}", root.string()));
    bool labelled = classes.size() > 1 || classes[0] != root;
    set_images(at::stack(images), labelled ? at::tensor(labels) : at::Tensor(),
               labelled ? static_cast<std::int64_t>(classes.size()) : 0);
  }
};

SCOREGEN_PLUGIN(Dataset, "images", "a folder of PNG/JPEG images (OpenCV), resized; subfolders are classes", ImagesDataset);

}  // namespace scoregen::plugins
