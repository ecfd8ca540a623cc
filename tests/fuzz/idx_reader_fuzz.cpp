// libFuzzer target: the idx data set's IDX reader (gzip or plain) on arbitrary bytes, as an images file (3
// dimensions) and as a labels file (1).
#include "dataset/idx_file.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scoregen::fuzz::write_input(data, size, ".idx");
  for (int dims : {3, 1}) scoregen::fuzz::expect_clean([&] { scoregen::plugins::read_idx(path, dims); });
  return 0;
}
