// The cifar10 data set on a small folder in CIFAR-10's binary format (tests/fixtures/cifar10_batches.hpp): pixels
// where the format puts them, labels, both splits, the held-out split, and malformed files refused by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fixtures/cifar10_batches.hpp"
#include "scoregen/dataset.hpp"
#include "scoregen/error.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

struct Cifar10Folder : ::testing::Test {
  fs::path folder;
  void SetUp() override {
    // one folder per test: ctest runs the tests of this fixture in parallel processes
    folder = fs::temp_directory_path() /
             ("scoregen-cifar10-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(folder);
    test::write_cifar10_folder(folder, 3, 4);  // 15 training images (3 per batch file), 4 test images
  }
  void TearDown() override { fs::remove_all(folder); }
  std::string table(const std::string& keys = "") const {
    return "[data]\nplugin = \"cifar10\"\npath = \"" + folder.string() + "\"\n" + keys + "\n";
  }
  std::shared_ptr<scoregen::Dataset> dataset(const std::string& keys = "") const {
    return test::pipeline(table(keys)).create_as<scoregen::Dataset>("data", {});
  }
  // The error reading the folder gives, which must name `file` and say `what`.
  void expect_refused(const fs::path& file, const std::string& what) const {
    try {
      dataset();
      ADD_FAILURE() << "no error; expected " << what;
    } catch (const scoregen::Error& e) {
      EXPECT_NE(std::string(e.what()).find(file.string() + ": " + what), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();  // one line
    }
  }
};

}  // namespace

TEST_F(Cifar10Folder, PixelsLandWhereTheFormatPutsThem) {
  auto d = dataset("scale = \"unit\"");
  scoregen::Batch b = d->get(0, d->size());
  ASSERT_EQ(b.x.sizes(), at::IntArrayRef({15, 3, 32, 32}));  // 3 records in each of the 5 training files
  EXPECT_EQ(d->shape(), (std::vector<std::int64_t>{3, 32, 32}));
  EXPECT_EQ(d->num_classes(), 10);
  EXPECT_EQ(d->bits(), 8);
  // image 7 (the second of data_batch_3.bin), green, row 5, column 30: byte 1 + 1024 + 5 * 32 + 30 of its record,
  // (31 * 7 + 85 + 7 * 5 + 3 * 30) % 256 = 171
  EXPECT_EQ(test::cifar10_pixel(7, 1, 5, 30), 171);
  EXPECT_FLOAT_EQ(b.x[7][1][5][30].item<float>(), 171.0f / 255.0f);
  // every pixel and label of the 15, in file order
  at::Tensor expected = at::empty({15, 3, 32, 32}, at::kFloat);
  auto e = expected.accessor<float, 4>();
  for (int i = 0; i < 15; ++i)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) e[i][c][y][x] = static_cast<float>(test::cifar10_pixel(i, c, y, x));
  EXPECT_TRUE(at::equal(at::round(b.x * 255.0), expected));
  for (int i = 0; i < 15; ++i) EXPECT_EQ(b.y[i].item<std::int64_t>(), test::cifar10_label(i)) << i;
  // the default scale is symmetric: 2 x / 255 - 1
  EXPECT_FLOAT_EQ(dataset()->get(7, 1).x[0][1][5][30].item<float>(), 2.0f * 171.0f / 255.0f - 1.0f);
}

TEST_F(Cifar10Folder, TheTestSplitIsHeldOutAndLimitCounts) {
  auto t = dataset("split = \"test\"\nscale = \"unit\"");
  EXPECT_EQ(t->size(), 4);
  scoregen::Batch b = t->get(0, 4);
  EXPECT_FLOAT_EQ(b.x[2][0][31][0].item<float>(), test::cifar10_pixel(1002, 0, 31, 0) / 255.0f);
  EXPECT_EQ(b.y[3].item<std::int64_t>(), test::cifar10_label(1003));
  // eval's held-out split: the split option's "test"
  EXPECT_EQ(scoregen::engine::held_out_split(test::pipeline(table()), ""), "test");
  auto limited = dataset("limit = 4");
  EXPECT_EQ(limited->size(), 4);
  EXPECT_TRUE(at::equal(limited->get(0, 4).x, dataset()->get(0, 4).x));
}

TEST_F(Cifar10Folder, MalformedFilesAreRefusedByName) {
  // a label above 9: the second record of data_batch_2.bin says 10
  {
    std::fstream f(folder / "data_batch_2.bin", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(3073);
    f.put(10);
  }
  expect_refused(folder / "data_batch_2.bin", "record 1 has label 10");
  test::write_cifar10_folder(folder, 3, 4);
  // a truncated file: the last record of data_batch_4.bin cut short
  fs::resize_file(folder / "data_batch_4.bin", 3 * 3073 - 100);
  expect_refused(folder / "data_batch_4.bin",
                 std::to_string(3 * 3073 - 100) + " bytes is not a whole number of CIFAR-10 records");
  test::write_cifar10_folder(folder, 3, 4);
  fs::remove(folder / "data_batch_5.bin");
  expect_refused(folder / "data_batch_5.bin", "no such file");
  // the test split reads test_batch.bin alone: the training files' absence does not matter to it
  EXPECT_EQ(dataset("split = \"test\"")->size(), 4);
}
