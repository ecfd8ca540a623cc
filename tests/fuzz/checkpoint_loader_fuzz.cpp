// libFuzzer target: the checkpoint loader on arbitrary bytes — the stored pipeline and step (what `sample
// --checkpoint` reads first), then the whole state with its EMA weights into a small network.
#include <torch/nn/modules/linear.h>

#include "engine/io/checkpoint.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace scoregen::engine;
  const std::string path = scoregen::fuzz::write_input(data, size, ".pt");
  scoregen::fuzz::expect_clean([&] { checkpoint_pipeline(path); });
  scoregen::fuzz::expect_clean([&] { checkpoint_step(path); });
  scoregen::fuzz::expect_clean([&] {
    torch::nn::Linear net(2, 2);
    load_ema_weights(path, *net);
  });
  return 0;
}
