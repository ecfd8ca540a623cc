// Dataset plugins: Fashion-MNIST IDX files, image folders, transforms and the toy 2-D sets.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "scoregen/dataset.hpp"
#include "scoregen/error.hpp"
#include "support.hpp"

namespace {
std::shared_ptr<scoregen::Dataset> dataset(const std::string& body) {
  auto p = test::pipeline("[data]\n" + body + "\n");
  return p.create_as<scoregen::Dataset>("data", {});
}
// n draws of a data set's examples, from counter-based draws keyed by `seed`.
scoregen::Batch draw(scoregen::Dataset& d, std::int64_t n, std::uint64_t seed = 1) {
  scoregen::BatchRandom rng(seed, 0, 0, n);
  return d.sample(rng);
}
}  // namespace

TEST(Dataset, FashionMnistTestSplit) {
  auto d = dataset("plugin = \"idx\"\nsplit = \"t10k\"");
  EXPECT_EQ(d->size(), 10000);
  EXPECT_EQ(d->shape(), (std::vector<std::int64_t>{1, 28, 28}));
  EXPECT_EQ(d->num_classes(), 10);
  EXPECT_EQ(d->bits(), 8);
  scoregen::Batch b = d->get(0, 100);
  EXPECT_EQ(b.x.sizes(), at::IntArrayRef({100, 1, 28, 28}));
  EXPECT_GE(b.x.min().item<double>(), -1.0);
  EXPECT_LE(b.x.max().item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(b.x.min().item<double>(), -1.0);  // background pixels are 0 -> -1
  EXPECT_EQ(b.y[0].item<std::int64_t>(), 9);           // the first test image is an ankle boot
  // Class balance: 1000 test examples per class
  at::Tensor counts = at::bincount(d->get(0, 10000).y);
  EXPECT_TRUE(at::all(counts == 1000).item<bool>());
}

TEST(Dataset, DequantizationAndLogit) {
  auto u = dataset("plugin = \"idx\"\nsplit = \"t10k\"\nscale = \"unit\"\ndequantize = true\nlimit = 1");
  EXPECT_EQ(u->size(), 1);
  at::Tensor x = draw(*u, 50).x;  // 50 dequantized draws of the one image
  EXPECT_GE(x.min().item<double>(), 0.0);
  EXPECT_LT(x.max().item<double>(), 1.0);
  // (x 255 + U) / 256 stays in its 8-bit bin: floor(256 x) is the pixel value, and the draws differ
  at::Tensor pixels = at::round(u->get(0, 1).x * 255.0);
  EXPECT_TRUE(at::equal(at::floor(x * 256.0), pixels.expand_as(x)));
  EXPECT_GT((x[0] - x[1]).abs().max().item<double>(), 0.0);
  auto l = dataset("plugin = \"idx\"\nsplit = \"t10k\"\nscale = \"unit\"\nlogit = 0.05\nlimit = 1");
  at::Tensor y = l->get(0, 1).x;
  EXPECT_TRUE(at::allclose(l->to_data(y), u->get(0, 1).x, 1e-5, 1e-5));  // to_data inverts the logit
  EXPECT_NEAR(l->range().first, std::log(0.05 / 0.95), 1e-12);
  EXPECT_THROW(dataset("plugin = \"idx\"\nlogit = 0.05"), scoregen::Error);  // logit needs unit scale
}

TEST(Dataset, CorruptIdxFileIsAnError) {
  std::string bad = (std::filesystem::temp_directory_path() / "scoregen-bad-idx.gz").string();
  std::ofstream(bad) << "garbage";
  try {
    dataset("plugin = \"idx\"\nimages = \"" + bad + "\"");
    FAIL() << "no error";
  } catch (const scoregen::Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad + ": not an IDX file"), std::string::npos) << e.what();
  }
  std::filesystem::remove(bad);
}

TEST(Dataset, ImageFolderWithClasses) {
  auto root = std::filesystem::temp_directory_path() / "scoregen-images-test";
  std::filesystem::remove_all(root);
  for (int k = 0; k < 2; ++k) {
    std::filesystem::create_directories(root / ("class" + std::to_string(k)));
    for (int i = 0; i < 3; ++i) {
      cv::Mat img(10, 12, CV_8UC3, cv::Scalar(0, 0, 255 * k));  // BGR: red for class 1
      cv::imwrite((root / ("class" + std::to_string(k)) / (std::to_string(i) + ".png")).string(), img);
    }
  }
  auto d = dataset("plugin = \"images\"\nroot = \"" + root.string() + "\"\nsize = 8\nscale = \"unit\"");
  EXPECT_EQ(d->size(), 6);
  EXPECT_EQ(d->num_classes(), 2);
  EXPECT_EQ(d->shape(), (std::vector<std::int64_t>{3, 8, 8}));
  scoregen::Batch b = d->get(0, 6);
  EXPECT_EQ(b.y[5].item<std::int64_t>(), 1);
  EXPECT_NEAR(b.x[5][0].mean().item<double>(), 1.0, 1e-6);  // RGB order: channel 0 is red
  EXPECT_NEAR(b.x[0][0].mean().item<double>(), 0.0, 1e-6);
  std::filesystem::remove_all(root);
}

TEST(Dataset, ImageFolderKeepsItsOwnSizeByDefault) {
  auto root = std::filesystem::temp_directory_path() / "scoregen-images-own-size";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  for (int i = 0; i < 2; ++i) cv::imwrite((root / (std::to_string(i) + ".png")).string(), cv::Mat(16, 16, CV_8UC1, cv::Scalar(9)));
  const std::string table = "plugin = \"images\"\nroot = \"" + root.string() + "\"\nchannels = 1";
  EXPECT_EQ(dataset(table)->shape(), (std::vector<std::int64_t>{1, 16, 16}));  // no size: the images' 16 x 16
  auto refused = [&](const std::string& message) {
    try {
      dataset(table);
      ADD_FAILURE() << "no error; expected " << message;
    } catch (const scoregen::Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  cv::imwrite((root / "2.png").string(), cv::Mat(8, 8, CV_8UC1, cv::Scalar(9)));  // another size: named, with both
  refused((root / "2.png").string() + " is 8x8 but " + (root / "0.png").string() + " is 16x16: set size = N");
  EXPECT_EQ(dataset(table + "\nsize = 8")->shape(), (std::vector<std::int64_t>{1, 8, 8}));  // or resized to one
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  cv::imwrite((root / "wide.png").string(), cv::Mat(8, 12, CV_8UC1, cv::Scalar(9)));
  refused("wide.png is 12x8; the images' own size is used only when square");
  std::filesystem::remove_all(root);
}

TEST(Dataset, ImageFolderResizesTheShorterSideThenCropsTheCentre) {
  auto root = std::filesystem::temp_directory_path() / "scoregen-images-crop";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  // a.png, 40 wide and 60 tall, in bands whose edges fall on pixel edges after the 1.25x shrink to 32 x 48 (the
  // shorter side to 32, the longer to int(32 * 60 / 40)): red by rows (0-9: 0, 10-29: 100, 30-49: 150, 50-59:
  // 255 -> rows 0-7, 8-23, 24-39, 40-47), green by columns (0-19: 50, 20-39: 200 -> 0-15, 16-31), blue 7
  cv::Mat a(60, 40, CV_8UC3);
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 40; ++x)
      a.at<cv::Vec3b>(y, x) = {7, static_cast<unsigned char>(x < 20 ? 50 : 200),
                               static_cast<unsigned char>(y < 10 ? 0 : y < 30 ? 100 : y < 50 ? 150 : 255)};  // BGR
  cv::imwrite((root / "a.png").string(), a);
  cv::imwrite((root / "b.png").string(), cv::Mat(32, 32, CV_8UC3, cv::Scalar(1, 2, 3)));    // the size already
  cv::imwrite((root / "c.png").string(), cv::Mat(24, 16, CV_8UC3, cv::Scalar(9, 9, 9)));    // enlarged, 32 x 48
  testing::internal::CaptureStderr();
  auto d = dataset("plugin = \"images\"\nroot = \"" + root.string() + "\"\nsize = 32\nscale = \"unit\"");
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(said, "data: " + root.string() + ": resized 2 of 3 images to 32x32 (shorter side to 32, then the centre "
                  "crop): 1 from 16x24, 1 from 40x60\n");
  ASSERT_EQ(d->shape(), (std::vector<std::int64_t>{3, 32, 32}));
  at::Tensor x = at::round(d->get(0, 3).x * 255.0).to(at::kInt);
  // the centre 32 rows of the 48 start at round((48 - 32) / 2) = 8: red 100 above row 16, 150 from it; green by
  // columns as resized (the width was already 32), blue 7
  at::Tensor expected = at::empty({3, 32, 32}, at::kInt);
  expected[0].narrow(0, 0, 16).fill_(100), expected[0].narrow(0, 16, 16).fill_(150);
  expected[1].narrow(1, 0, 16).fill_(50), expected[1].narrow(1, 16, 16).fill_(200);
  expected[2].fill_(7);
  EXPECT_TRUE(at::equal(x[0], expected)) << x[0];
  EXPECT_TRUE(at::equal(x[1], at::tensor({3, 2, 1}, at::kInt).view({3, 1, 1}).expand({3, 32, 32})));  // as it was
  EXPECT_TRUE(at::all(x[2] == 9).item<bool>());
  // nothing to resize, nothing said
  std::filesystem::remove(root / "a.png"), std::filesystem::remove(root / "c.png");
  testing::internal::CaptureStderr();
  dataset("plugin = \"images\"\nroot = \"" + root.string() + "\"\nsize = 32");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  std::filesystem::remove_all(root);
}

TEST(Dataset, ImageFolderHoldsOutATestSplitByFile) {
  auto root = std::filesystem::temp_directory_path() / "scoregen-images-split";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  // image i is one grey level, 5 i: which images a split holds can be read from its pixels
  auto add = [&](int i) { cv::imwrite((root / (std::to_string(i) + ".png")).string(), cv::Mat(4, 4, CV_8UC1, cv::Scalar(5 * i))); };
  for (int i = 0; i < 40; ++i) add(i);
  const std::string table = "plugin = \"images\"\nroot = \"" + root.string() + "\"\nchannels = 1\nscale = \"unit\"\n";
  auto levels = [&](const std::string& split) {
    auto d = dataset(table + "split = \"" + split + "\"\ntest_fraction = 0.25");
    std::set<int> out;
    at::Tensor x = d->get(0, d->size()).x;
    for (std::int64_t k = 0; k < x.size(0); ++k) out.insert(static_cast<int>(std::lround(x[k].mean().item<double>() * 255)));
    return out;
  };
  const std::set<int> train = levels("train"), test = levels("test");
  // a partition of the 40: disjoint, together all of them, the test split near a quarter (binomial: 10 +- 2.7)
  std::set<int> both = train;
  both.insert(test.begin(), test.end());
  EXPECT_EQ(both.size(), 40u);
  EXPECT_EQ(train.size() + test.size(), 40u);
  EXPECT_GE(test.size(), 3u);
  EXPECT_LE(test.size(), 18u);
  // fixed per file: a new image joins one split and moves no other
  add(40);
  std::set<int> train2 = levels("train"), test2 = levels("test");
  train2.erase(200), test2.erase(200);
  EXPECT_EQ(train2, train);
  EXPECT_EQ(test2, test);
  std::filesystem::remove_all(root);
}

TEST(Dataset, ToySetsHaveTheirShapeAndSpread) {
  for (const char* name : {"rings", "moons", "swiss-roll", "checkerboard", "spirals", "mixture"}) {
    auto d = dataset(std::string("plugin = \"") + name + "\"");
    scoregen::Batch b = draw(*d, 4000);
    EXPECT_EQ(b.x.sizes(), at::IntArrayRef({4000, 2})) << name;
    EXPECT_TRUE(at::isfinite(b.x).all().item<bool>()) << name;
    double spread = b.x.std().item<double>();
    EXPECT_GT(spread, 0.5) << name;
    // the mixture's modes sit at +-5 with std 1: 11 is 6 sigma out (10, 5 sigma, is crossed by 1 in 200 sets of 8000)
    EXPECT_LT(b.x.abs().max().item<double>(), 11.0) << name;
  }
  // Rings: radii 2 and 4 (noise 0.08)
  at::Tensor r = draw(*dataset("plugin = \"rings\"\nnoise = 0.0"), 1000).x.norm(2, 1);
  EXPECT_TRUE(at::all((at::abs(r - 2.0) < 1e-6) | (at::abs(r - 4.0) < 1e-6)).item<bool>());
  // Checkerboard: every point sits on a square of the right parity
  at::Tensor c = draw(*dataset("plugin = \"checkerboard\""), 2000).x;
  at::Tensor parity = at::remainder(at::floor(c.select(1, 0) / 2.0) + at::floor(c.select(1, 1) / 2.0), 2.0);
  EXPECT_TRUE(at::all(parity == 0).item<bool>());
  // Same seed, same bits
  EXPECT_TRUE(at::equal(draw(*dataset("plugin = \"moons\""), 10, 9).x, draw(*dataset("plugin = \"moons\""), 10, 9).x));
}
