// A folder of PNG/JPEG images read with OpenCV, resized and centre-cropped, with class labels from subfolders.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_dataset.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"

namespace fs = std::filesystem;

namespace scoregen::plugins {

namespace {

// Where a file falls, in [0, 1): FNV-1a (Fowler, Noll & Vo) of its path below the folder, mixed by MurmurHash3's
// fmix64 finalizer. Fixed per file, so adding images never moves one from a split to the other.
double split_position(const std::string& relative_path) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : relative_path) h = (h ^ c) * 1099511628211ULL;
  h ^= h >> 33, h *= 0xff51afd7ed558ccdULL, h ^= h >> 33, h *= 0xc4ceb9fe1a85ec53ULL, h ^= h >> 33;
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

// torchvision's Resize(size) then CenterCrop(size): the shorter side to `size`, the longer to int(size * longer /
// shorter) (transforms.functional._compute_resized_output_size), then the middle size x size, offset by
// round((new_longer - size) / 2) with halves to even as Python's round (transforms.functional.center_crop).
// Area averaging when shrinking (the antialiased bilinear's role), bilinear when enlarging.
cv::Mat resize_and_center_crop(const cv::Mat& img, int size) {
  const bool wide = img.cols > img.rows;
  const int shorter = std::min(img.rows, img.cols), longer = std::max(img.rows, img.cols);
  const int new_longer = static_cast<int>(static_cast<double>(size) * longer / shorter);
  cv::Mat resized;
  cv::resize(img, resized, wide ? cv::Size(new_longer, size) : cv::Size(size, new_longer), 0, 0,
             shorter > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  const int offset = static_cast<int>(std::nearbyint((new_longer - size) / 2.0));
  return resized(wide ? cv::Rect(offset, 0, size, size) : cv::Rect(0, offset, size, size)).clone();
}

// "3 from 40x60, 1 from 64x64": how many images were resized from each size (width x height).
std::string resized_from(const std::map<std::pair<int, int>, int>& sizes) {
  std::vector<std::string> parts;
  for (const auto& [wh, n] : sizes) parts.push_back(fmt::format("{} from {}x{}", n, wh.first, wh.second));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

class ImagesDataset : public ImageDataset {
 public:
  struct Settings : ImageTransformSettings {
    std::string root, split = "all";
    std::int64_t size = 0, channels = 3;
    double test_fraction = 0.1;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::root, "root", "the folder").required().reads_file();
    d(&Settings::size, "size", "size x size images: the shorter side resized to size, then the centre crop "
      "(torchvision's Resize + CenterCrop; 0: keep the images' own size, which they must share and which must be "
      "square)").at_least(0);
    d(&Settings::channels, "channels", "1 (grey) or 3 (RGB)").at_least(1).at_most(3);
    d(&Settings::split, "split", "all the images, or a held-out split chosen by a hash of each file's path below root "
      "(fixed per file): train (about 1 - test_fraction of them) or test").one_of({"all", "train", "test"});
    d(&Settings::test_fraction, "test_fraction", "the share of the images in the test split").above(0).below(1);
    declare_image_transforms(d);
  }
  ImagesDataset(const Settings& s, const Options& o, const BuildContext& ctx) : ImageDataset(s, o) {
    const fs::path root = ctx.file(s.root);
    if (s.size > 0 && s.size < 4) o.fail("size", "must be 0 (the images' own size) or at least 4");
    int size = static_cast<int>(s.size);
    std::string sized_by;  // with size = 0: the first image, whose size the others must share
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
    std::size_t found = 0;  // image files, in any split
    std::map<std::pair<int, int>, int> resized;  // width x height -> images resized from it
    int resized_count = 0;
    for (std::size_t k = 0; k < classes.size(); ++k) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(classes[k])) {
        std::string ext = e.path().extension().string();
        for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      found += files.size();
      for (const auto& f : files) {
        const bool in_test = split_position(fs::relative(f, root).generic_string()) < s.test_fraction;
        if (s.split != "all" && in_test != (s.split == "test")) continue;
        throw_if_interrupted();  // a folder of 50 000 images takes half a minute to read
        cv::Mat img = cv::imread(f.string(), channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
        if (img.empty()) o.fail("root", fmt::format("{}: not a readable image", f.string()));
        if (channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
        if (s.size == 0 && sized_by.empty()) {
          if (img.rows != img.cols || img.rows < 4)
            o.fail("size", fmt::format("{} is {}x{}; the images' own size is used only when square and at least 4: set "
                                       "size = N to resize them to N x N", f.string(), img.cols, img.rows));
          size = img.rows, sized_by = f.string();
        }
        if (s.size == 0 && (img.rows != size || img.cols != size))
          o.fail("size", fmt::format("{} is {}x{} but {} is {}x{}: set size = N to resize them all to N x N", f.string(),
                                     img.cols, img.rows, sized_by, size, size));
        if (img.rows != size || img.cols != size) {
          ++resized[{img.cols, img.rows}], ++resized_count;
          img = resize_and_center_crop(img, size);
        }
        at::Tensor t = at::from_blob(img.data, {size, size, channels}, at::kByte).permute({2, 0, 1}).clone();
        images.push_back(t);
        labels.push_back(static_cast<std::int64_t>(k));
      }
    }
    if (found == 0) o.fail("root", fmt::format("no .png or .jpg images in {}", root.string()));
    if (images.empty())
      o.fail("split", fmt::format("no image of {} falls in the {} split (test_fraction {})", root.string(), s.split,
                                  s.test_fraction));
    if (resized_count > 0)
      fmt::print(stderr, "data: {}: resized {} of {} images to {}x{} (shorter side to {}, then the centre crop): {}\n",
                 root.string(), resized_count, images.size(), size, size, size, resized_from(resized));
    bool labelled = classes.size() > 1 || classes[0] != root;
    set_images(at::stack(images), labelled ? at::tensor(labels) : at::Tensor(),
               labelled ? static_cast<std::int64_t>(classes.size()) : 0);
  }
};

SCOREGEN_PLUGIN(Dataset, "images",
                "a folder of PNG/JPEG images (OpenCV), at their own size or resized and centre-cropped; subfolders are "
                "classes", ImagesDataset);

}  // namespace scoregen::plugins
