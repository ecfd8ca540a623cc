// libFuzzer target: the .npy reader (engine load_npy) on arbitrary bytes.
#include "engine/io/array_io.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scoregen::fuzz::write_input(data, size, ".npy");
  scoregen::fuzz::expect_clean([&] { scoregen::engine::load_npy(path); });
  return 0;
}
