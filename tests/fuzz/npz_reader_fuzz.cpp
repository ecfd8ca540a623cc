// libFuzzer target: the .npz reader (engine load_fid_statistics: zip members, inflate, .npy, the statistics' checks)
// on arbitrary bytes.
#include "engine/math/fid_statistics.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scoregen::fuzz::write_input(data, size, ".npz");
  scoregen::fuzz::expect_clean([&] { scoregen::engine::load_fid_statistics(path); });
  return 0;
}
