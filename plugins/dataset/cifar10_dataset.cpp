// CIFAR-10's binary version (cifar-10-batches-bin/ of cifar-10-binary.tar.gz, www.cs.toronto.edu/~kriz/cifar.html):
// 32x32 RGB images in 10 classes, 50000 in data_batch_1..5.bin (train) and 10000 in test_batch.bin (test).
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "idx_file.hpp"
#include "image_dataset.hpp"
#include "scoregen/error.hpp"

namespace scoregen::plugins {

namespace {

// One record (Krizhevsky 2009, "binary version"): 1 label byte (0..9), then 1024 red, 1024 green, 1024 blue bytes,
// each plane row-major 32x32: the layout of a [3, 32, 32] tensor.
constexpr std::int64_t kCifarSide = 32, kCifarPixels = 3 * kCifarSide * kCifarSide, kCifarRecord = 1 + kCifarPixels;
constexpr std::int64_t kCifarClasses = 10;

std::vector<std::string> cifar_batch_files(const std::string& split) {
  if (split == "test") return {"test_batch.bin"};
  std::vector<std::string> files;
  for (int k = 1; k <= 5; ++k) files.push_back(fmt::format("data_batch_{}.bin", k));
  return files;
}

// The records of one batch file as uint8 [N, 3073]; a size that is not whole records, or a label above 9, is an
// error naming the file.
at::Tensor read_cifar_batch(const std::string& path) {
  const std::string bytes = read_maybe_gz(path);
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (size == 0 || size % kCifarRecord != 0)
    throw Error(fmt::format("{}: {} bytes is not a whole number of CIFAR-10 records ({} bytes each: a label and "
                            "32x32x3 pixels)", path, size, kCifarRecord));
  at::Tensor records = at::empty({size / kCifarRecord, kCifarRecord}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(records.data_ptr(), bytes.data(), bytes.size());
  if (at::Tensor bad = (records.select(1, 0) >= kCifarClasses).nonzero(); bad.numel() > 0) {
    const std::int64_t first = bad[0][0].item<std::int64_t>();
    throw Error(fmt::format("{}: record {} has label {} (CIFAR-10's labels are 0 to 9): not a CIFAR-10 batch file",
                            path, first, records[first][0].item<int>()));
  }
  return records;
}

}  // namespace

class Cifar10Dataset : public ImageDataset {
 public:
  struct Settings : ImageTransformSettings {
    std::string path, split = "train";
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::path, "path", "the folder holding data_batch_1.bin .. data_batch_5.bin and test_batch.bin "
                               "(cifar-10-batches-bin, unpacked from the binary version cifar-10-binary.tar.gz)")
        .required()
        .reads_file();
    d(&Settings::split, "split", "train (data_batch_1..5, 50000 images) or test (test_batch, 10000)")
        .one_of({"train", "test"});
    declare_image_transforms(d);
  }
  Cifar10Dataset(const Settings& s, const Options& o, const BuildContext& ctx) : ImageDataset(s, o) {
    const std::filesystem::path folder = ctx.file(s.path);
    std::vector<at::Tensor> batches;
    for (const std::string& name : cifar_batch_files(s.split)) {
      try {
        batches.push_back(read_cifar_batch((folder / name).string()));
      } catch (const Error& e) {
        o.fail("path", e.what());
      }
    }
    at::Tensor records = at::cat(batches);
    set_images(records.narrow(1, 1, kCifarPixels).reshape({-1, 3, kCifarSide, kCifarSide}),
               records.select(1, 0).to(at::kLong), kCifarClasses);
  }
};

SCOREGEN_PLUGIN(Dataset, "cifar10", "CIFAR-10 (binary version: cifar-10-batches-bin) with its 10 class labels",
                Cifar10Dataset);

}  // namespace scoregen::plugins
