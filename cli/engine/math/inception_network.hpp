// The 2015 TensorFlow Inception network (Szegedy et al. 2016) of every published FID, KID and IS, read as its users
// have it: the TorchScript translation `inception-2015-12-05.pt` of StyleGAN2-ADA / StyleGAN3, clean-fid and EDM.
// Its forward takes uint8 NCHW RGB in [0, 255] at any size (it resizes to 299 x 299 itself) and returns the 2048
// pool features (return_features=True) or the 1008 class probabilities (no_output_bias=True, as the reference
// Inception score leaves out the last layer's bias).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "engine/host/process_group.hpp"

namespace torch::jit {
struct Module;
}

namespace scoregen::engine {

class InceptionNetwork {
 public:
  // Loads `path` onto `device` and checks it once: a TorchScript module whose forward takes return_features and
  // no_output_bias, that returns [1, 2048] features and [1, K] probabilities (K >= 2, rows summing to 1) for one
  // image of `example` = [C, H, W] (C: 1 or 3, else an error). Anything else is an error naming `path`.
  InceptionNetwork(const std::string& path, const c10::Device& device, const std::vector<std::int64_t>& example);
  ~InceptionNetwork();
  InceptionNetwork(InceptionNetwork&&) noexcept;
  // Pool features [n, 2048] (float32, on the CPU) of uint8 images [n, 1 or 3, H, W] (grey repeated to RGB).
  at::Tensor features(const at::Tensor& u8) const;
  // Class probabilities [n, K] (float32, on the CPU).
  at::Tensor probabilities(const at::Tensor& u8) const;
  const std::string& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }  // of the bytes the module was loaded from

  static constexpr std::int64_t kFeatures = 2048;

 private:
  at::Tensor call(const at::Tensor& u8, const char* flag) const;
  std::string path_, sha256_;
  c10::Device device_;
  std::unique_ptr<torch::jit::Module> module_;
};

// Pixels in [0, 1] as the uint8 the Inception network reads: round(255 u) clamped to [0, 255], as StyleGAN's and
// EDM's (x 127.5 + 128).clamp(0, 255).to(uint8) does for [-1, 1].
at::Tensor inception_pixels(const at::Tensor& unit);

struct InceptionOutputs {
  at::Tensor features;       // [n, 2048]
  at::Tensor probabilities;  // [n, K]; undefined unless asked for
};
// The network's outputs on n images, unit(begin, count) giving images begin .. begin + count in [0, 1], in batches
// dealt to the ranks of `group` (every rank ends with all of them).
InceptionOutputs inception_outputs(const InceptionNetwork& network, const ProcessGroup& group, std::int64_t n,
                                   std::int64_t batch, bool probabilities,
                                   const std::function<at::Tensor(std::int64_t, std::int64_t)>& unit);

}  // namespace scoregen::engine
