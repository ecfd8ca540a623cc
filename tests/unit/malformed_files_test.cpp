// Malformed user files are a scoregen::Error naming the file (one line, exit 2), never a LibTorch or standard-library
// exception ("internal error", exit 1), a crash, or an allocation as large as a header asks for. The inputs are the
// fuzz targets' findings (tests/fuzz, docs/hardening.md), minimized.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/istream_adapter.h>
#include <torch/serialize.h>

#include "engine/io/array_io.hpp"
#include "engine/io/checkpoint.hpp"
#include "engine/io/checkpoint_members.hpp"
#include "engine/io/image_io.hpp"
#include "engine/io/pickle_storages.hpp"
#include "scoregen/dataset.hpp"
#include "scoregen/error.hpp"
#include "support.hpp"

namespace {

// `bytes` as the temporary file `name`; its path.
std::string temporary(const std::string& name, const std::string& bytes) {
  const std::string path = (std::filesystem::temp_directory_path() / ("scoregen-malformed-" + name)).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// `read` throws a scoregen::Error that names `path` and says `says` (any other exception fails the test).
template <class Read>
void expect_error(Read&& read, const std::string& path, const std::string& says) {
  try {
    read();
    ADD_FAILURE() << path << ": read without an error";
  } catch (const scoregen::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(says), std::string::npos) << what;
  }
  std::filesystem::remove(path);
}

// A finding kept in the fuzz corpus (tests/fuzz/corpus/TARGET/finding-*): its bytes.
std::string finding(const std::string& relative) {
  return scoregen::engine::read_file(std::string(SCOREGEN_SOURCE_DIR) + "/tests/fuzz/corpus/" + relative);
}

// A .npy file (format 1.0) with this header dict, then `data`.
std::string npy(const std::string& header, const std::string& data = "") {
  const std::string h = header + "\n";
  return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size() & 0xff) + static_cast<char>(h.size() >> 8) +
         h + data;
}

// The idx data set on these images and labels files (as the pipeline's [data] table names them).
void read_idx_dataset(const std::string& images, const std::string& labels) {
  test::pipeline("[data]\nplugin = \"idx\"\nimages = \"" + images + "\"\nlabels = \"" + labels + "\"\n")
      .create_as<scoregen::Dataset>("data", {});
}

// An IDX file of unsigned bytes with these sizes, then `data`.
std::string idx(const std::vector<std::uint32_t>& sizes, const std::string& data = "") {
  std::string out{'\0', '\0', '\x08', static_cast<char>(sizes.size())};
  for (std::uint32_t s : sizes)
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((s >> shift) & 0xff);
  return out + data;
}

}  // namespace

TEST(MalformedFiles, NpyEmptyArrayReads) {  // the seed f4_empty.npy: was a memcpy from a null pointer (UBSan)
  const std::string path = temporary("empty.npy", finding("npy_reader_fuzz/f4_empty.npy"));
  EXPECT_EQ(scoregen::engine::load_npy(path).sizes(), (std::vector<std::int64_t>{0, 2}));
  std::filesystem::remove(path);
}

TEST(MalformedFiles, NpyShapeOfWordsIsAnError) {  // was std::invalid_argument from std::stoll
  const std::string path = temporary("words.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (x1,), }"));
  expect_error([&] { scoregen::engine::load_npy(path); }, path, "is not a tuple of sizes");
}

TEST(MalformedFiles, NpyNegativeSizeIsAnError) {  // was a c10::Error from at::empty
  const std::string path = temporary("negative.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"));
  expect_error([&] { scoregen::engine::load_npy(path); }, path, "is not a tuple of sizes");
}

TEST(MalformedFiles, NpyHugeShapeIsAnErrorBeforeAnyAllocation) {
  // 400 GB promised by 4 bytes of data: was an allocation of that size (a c10::Error where it failed)
  std::string path = temporary("huge.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000,), }", "abcd"));
  expect_error([&] { scoregen::engine::load_npy(path); }, path, "the header promises 400000000000");
  // a product of sizes beyond 64 bits
  path = temporary("overflow.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"));
  expect_error([&] { scoregen::engine::load_npy(path); }, path, "is too large");
}

TEST(MalformedFiles, NpyValidFilesStillRead) {
  const std::string path = temporary("valid.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                                                      std::string("\x01\x00\x00\x00\x02\x00\x00\x00", 8)));
  at::Tensor t = scoregen::engine::load_npy(path);
  EXPECT_TRUE(at::equal(t, at::tensor({1, 2}, at::kInt)));
  std::filesystem::remove(path);
}

TEST(MalformedFiles, IdxLabelsFileWithNoLabelsIsAnError) {  // was a memcpy from a null pointer (UBSan)
  const std::string images = temporary("one-image.idx3", idx({1, 2, 2}, "abcd"));
  const std::string labels = temporary("no-labels.idx1", idx({0}));
  expect_error([&] { read_idx_dataset(images, labels); }, "", "0 labels for 1 images");
  std::filesystem::remove(images);
  std::filesystem::remove(labels);
}

TEST(MalformedFiles, IdxSizesWhoseProductOverflowsAreAnError) {
  // 2^31 x 2^31 x 4 images is 0 modulo 2^64, the size of the data that follows: was a tensor of 2^64 bytes on none
  const std::string images = temporary("overflow.idx3", idx({1u << 31, 1u << 31, 4}));
  const std::string labels = temporary("labels.idx1", idx({1}, "x"));
  expect_error([&] { read_idx_dataset(images, labels); }, images, "are too large");
  std::filesystem::remove(labels);
}

TEST(MalformedFiles, CheckpointWithoutAPipelineIsAnError) {  // was a c10::Error from InputArchive::read
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string("scoregen-checkpoint-1")));
  archive.write("step", c10::IValue(std::string("not a number")));
  const std::string path = (std::filesystem::temp_directory_path() / "scoregen-malformed-checkpoint.pt").string();
  archive.save_to(path);
  EXPECT_THROW(scoregen::engine::checkpoint_step(path), scoregen::Error);
  expect_error([&] { scoregen::engine::checkpoint_pipeline(path); }, path, "no valid 'pipeline'");
}

TEST(MalformedFiles, CheckpointWithCorruptCodeIsAnError) {
  // an exported checkpoint with one byte changed ("__torch__" -> "__torbh__" in its code): was torch::jit::ErrorReport
  const std::string path = temporary("corrupt-code.pt", finding("checkpoint_loader_fuzz/finding-unknown-type.pt"));
  EXPECT_THROW(scoregen::engine::checkpoint_step(path), scoregen::Error);
  expect_error([&] { scoregen::engine::checkpoint_pipeline(path); }, path, "unreadable or corrupt");
}

TEST(MalformedFiles, ImageOfHugeStatedSizeIsAnError) {  // a BMP header of 100000 x 100000 pixels: was a cv::Exception
  for (int channels : {1, 3}) {
    const std::string path = temporary("huge.bmp", finding("image_loader_fuzz/finding-huge-size.bmp"));
    expect_error([&] { scoregen::engine::load_image(path, channels, 0.0, 1.0); }, path, "not a readable image");
  }
}

TEST(MalformedFiles, CheckpointWhoseMembersFailTheirChecksumIsRefusedBeforeLibTorchParsesIt) {
  // an export with corrupt TorchScript code that crashed LibTorch's parser (SEGV in ScriptTypeParser): now refused
  // by the zip members' CRC-32 before LibTorch reads it
  const std::string path = temporary("segv-in-code.pt", finding("checkpoint_loader_fuzz/finding-segv-in-code.pt"));
  expect_error([&] { scoregen::engine::checkpoint_pipeline(path); }, path, "unreadable or corrupt");
}

TEST(MalformedFiles, CheckpointWithCorruptDeflatedCodeIsRefusedBeforeLibTorchParsesIt) {
  // a training checkpoint whose deflated code/__torch__.py inflates to "__pare_mters__ = []" (one byte changed): the
  // CRC check skipped deflated members, and LibTorch crashed on it (SEGV in ScriptTypeParser::parseClassConstant)
  const std::string path =
      temporary("segv-deflated.pt", finding("checkpoint_loader_fuzz/finding-segv-deflated-code.pt"));
  EXPECT_THROW(scoregen::engine::checkpoint_step(path), scoregen::Error);
  expect_error([&] { scoregen::engine::checkpoint_pipeline(path); }, path, "unreadable or corrupt");
}

TEST(MalformedFiles, CheckpointWithCodeScoregenDoesNotWriteIsRefusedEvenWithValidChecksums) {
  // the same code with its CRC-32 recomputed (and its other corrupt member name restored): passes every checksum,
  // still crashed LibTorch; refused because the code is not the class body OutputArchive writes
  const std::string path = temporary("segv-valid-crc.pt", finding("checkpoint_loader_fuzz/finding-segv-valid-crc.pt"));
  expect_error([&] { scoregen::engine::checkpoint_pipeline(path); }, path,
               "its TorchScript code 'code/__torch__.py' is not what scoregen writes");
}

TEST(MalformedFiles, CheckpointStatingAZip64SizeIsRefusedBeforeLibTorchAllocatesIt) {
  // a training checkpoint whose code/__torch__.py states, through the zip64 extra field, 4 GiB inflated: LibTorch's
  // zip reader allocated that much before reading the member (libFuzzer: out-of-memory, malloc(4294967296))
  const std::string bomb = finding("checkpoint_loader_fuzz/finding-zip64-size.pt");
  EXPECT_FALSE(scoregen::engine::members_intact(bomb));
  EXPECT_TRUE(scoregen::engine::members_intact(finding("checkpoint_loader_fuzz/train.pt")));
  const std::string path = temporary("zip64-size.pt", bomb);
  expect_error([&] { scoregen::engine::checkpoint_pipeline(path); }, path, "unreadable or corrupt");
}

TEST(MalformedFiles, ShippedCheckpointsStillLoad) {  // the member and code checks refuse nothing scoregen writes
  for (const char* name : {"fashion_mnist_classifier", "fashion_mnist_ncsn", "fashion_mnist_ve", "fashion_mnist_vp"}) {
    const std::string path = std::string(SCOREGEN_SOURCE_DIR) + "/share/models/" + name + ".pt";
    EXPECT_NO_THROW(scoregen::engine::checkpoint_pipeline(path)) << path;
    EXPECT_GT(scoregen::engine::checkpoint_step(path), 0) << path;
  }
  for (const char* seed : {"train.pt", "export.pt"})
    EXPECT_NO_THROW(scoregen::engine::checkpoint_step(std::string(SCOREGEN_SOURCE_DIR) +
                                                      "/tests/fuzz/corpus/checkpoint_loader_fuzz/" + seed));
}

TEST(MalformedFiles, PickleScanFindsEveryStorageLibTorchWrites) {
  // an archive as OutputArchive writes checkpoints: tensors of several types, one nested, one storage shared
  torch::serialize::OutputArchive archive, child;
  at::Tensor shared = at::arange(12, at::kFloat);
  archive.write("a", shared.view({3, 4}));
  archive.write("b", shared.narrow(0, 2, 5));
  archive.write("c", at::ones({7}, at::kDouble));
  archive.write("d", at::zeros({2, 2}, at::kLong), true);
  child.write("e", at::ones({9}, at::kBool));
  child.write("f", at::ones({4}, at::kHalf));
  archive.write("child", child);
  std::ostringstream out;
  archive.save_to(out);
  const std::string bytes = out.str();
  std::istringstream in(bytes);
  caffe2::serialize::PyTorchStreamReader reader(std::make_shared<caffe2::serialize::IStreamAdapter>(&in));
  auto [pickle, size] = reader.getRecord("data.pkl");
  const auto storages =
      scoregen::engine::declared_storages(std::string(static_cast<const char*>(pickle.get()), size));
  // every record under data/ is declared once, with the bytes it holds (12 floats, 7 doubles, 4 longs, 9 bools, 4 halves)
  std::size_t records = 0;
  for (const auto& name : reader.getAllRecords()) records += name.rfind("data/", 0) == 0;
  EXPECT_EQ(storages.size(), records);
  std::vector<std::uint64_t> sizes;
  for (const auto& s : storages) {
    EXPECT_EQ(std::get<1>(reader.getRecord("data/" + s.key)), s.bytes) << s.key;
    sizes.push_back(s.bytes);
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::uint64_t>{8, 9, 32, 48, 56}));
  // and a pickle that is cut short or not a pickle at all declares what could be read, never more
  EXPECT_LE(scoregen::engine::declared_storages(std::string(static_cast<const char*>(pickle.get()), size / 2)).size(),
            storages.size());
  EXPECT_TRUE(scoregen::engine::declared_storages("not a pickle").empty());
}
