// libFuzzer target: the image and mask loader (engine load_image, OpenCV decoding) on arbitrary bytes, grey and RGB.
#include "engine/io/image_io.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scoregen::fuzz::write_input(data, size, ".png");
  for (int channels : {1, 3}) scoregen::fuzz::expect_clean([&] { scoregen::engine::load_image(path, channels, -1.0, 1.0); });
  return 0;
}
