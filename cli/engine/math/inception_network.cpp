// Loading, checking and calling the TorchScript Inception network.
#include "engine/math/inception_network.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include "engine/host/record.hpp"
#include "engine/io/checkpoint_members.hpp"
#include "engine/io/files.hpp"
#include "engine/math/dealt_batches.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {
const char* const kWhatItIs =
    "the 2015 Inception network as a TorchScript file (inception-2015-12-05.pt of StyleGAN2-ADA, clean-fid and EDM; "
    "docs/evaluation.md)";
}  // namespace

InceptionNetwork::InceptionNetwork(const std::string& path, const c10::Device& device,
                                   const std::vector<std::int64_t>& example)
    : path_(path), device_(device) {
  if (example.size() != 3 || (example[0] != 1 && example[0] != 3))
    throw Error(fmt::format("--inception: the Inception network reads grey or RGB images, not examples of shape [{}]",
                            fmt::join(example, ", ")));
  if (!std::filesystem::is_regular_file(path)) throw Error(fmt::format("--inception {}: no such file", path));
  // read once: LibTorch parses the TorchScript code in the file, so a damaged archive is refused before
  // (docs/robustness.md); the module is loaded from these bytes, and they are what the SHA-256 names
  const std::string bytes = read_file(path);
  if (!members_intact(bytes))
    throw Error(fmt::format("--inception {}: not {} (not an intact TorchScript archive)", path, kWhatItIs));
  sha256_ = sha256_bytes(bytes, path);
  try {
    std::istringstream in(bytes);
    module_ = std::make_unique<torch::jit::Module>(torch::jit::load(in, device));
  } catch (const std::exception&) {
    throw Error(fmt::format("--inception {}: not {} (LibTorch cannot load it as TorchScript)", path, kWhatItIs));
  }
  module_->eval();
  if (!module_->find_method("forward"))
    throw Error(fmt::format("--inception {}: has no forward method; it is not {}", path, kWhatItIs));
  std::vector<std::string> names;
  for (const auto& a : module_->get_method("forward").function().getSchema().arguments()) names.push_back(a.name());
  for (const char* flag : {"return_features", "no_output_bias"})
    if (std::find(names.begin(), names.end(), flag) == names.end())
      throw Error(fmt::format("--inception {}: its forward({}) takes no {} argument; it is not {}", path,
                              fmt::join(names.begin() + 1, names.end(), ", "), flag, kWhatItIs));
  const at::Tensor probe = at::full({1, example[0], example[1], example[2]}, 128, at::kByte);
  const at::Tensor f = features(probe), p = probabilities(probe);
  if (f.sizes() != at::IntArrayRef({1, kFeatures}))
    throw Error(fmt::format("--inception {}: returns features of shape [{}] for one image, not [1, {}]; it is not {}", path,
                            fmt::join(f.sizes(), ", "), kFeatures, kWhatItIs));
  if (p.dim() != 2 || p.size(0) != 1 || p.size(1) < 2 || (p < 0).any().item<bool>() ||
      std::abs(p.sum().item<double>() - 1) > 1e-3)
    throw Error(fmt::format("--inception {}: with no_output_bias=True it returns [{}], not class probabilities [1, K] "
                            "(each row summing to 1); it is not {}",
                            path, fmt::join(p.sizes(), ", "), kWhatItIs));
}

InceptionNetwork::~InceptionNetwork() = default;
InceptionNetwork::InceptionNetwork(InceptionNetwork&&) noexcept = default;

at::Tensor InceptionNetwork::call(const at::Tensor& u8, const char* flag) const {
  if (u8.dim() != 4 || (u8.size(1) != 1 && u8.size(1) != 3) || u8.scalar_type() != at::kByte)
    throw Error(fmt::format("the Inception network reads uint8 images [n, 1 or 3, H, W], not [{}]", fmt::join(u8.sizes(), ", ")));
  at::NoGradGuard no_grad;
  at::Tensor rgb = u8.size(1) == 1 ? u8.expand({u8.size(0), 3, u8.size(2), u8.size(3)}) : u8;
  std::unordered_map<std::string, c10::IValue> kwargs{{flag, true}};
  c10::IValue out;
  try {
    out = module_->get_method("forward")({rgb.contiguous().to(device_)}, kwargs);
  } catch (const std::exception&) {
    throw Error(fmt::format("--inception {}: failed on images of shape [{}] ({}=True)", path_, fmt::join(rgb.sizes(), ", "),
                            flag));
  }
  if (!out.isTensor() || out.toTensor().dim() < 1 || out.toTensor().size(0) != u8.size(0))
    throw Error(fmt::format("--inception {}: returns no tensor of {} rows for {} images; it is not {}", path_, u8.size(0),
                            u8.size(0), kWhatItIs));
  return out.toTensor().to(at::kCPU, at::kFloat).reshape({u8.size(0), -1});
}

at::Tensor InceptionNetwork::features(const at::Tensor& u8) const { return call(u8, "return_features"); }

at::Tensor InceptionNetwork::probabilities(const at::Tensor& u8) const { return call(u8, "no_output_bias"); }

at::Tensor inception_pixels(const at::Tensor& unit) {
  return (unit * 255 + 0.5).floor().clamp(0, 255).to(at::kByte);
}

InceptionOutputs inception_outputs(const InceptionNetwork& network, const ProcessGroup& group, std::int64_t n,
                                   std::int64_t batch, bool probabilities,
                                   const std::function<at::Tensor(std::int64_t, std::int64_t)>& unit) {
  std::vector<at::Tensor> rows = rows_in_dealt_batches(group, n, batch, [&](std::int64_t begin, std::int64_t count) {
    const at::Tensor u8 = inception_pixels(unit(begin, count).to(at::kCPU));
    std::vector<at::Tensor> out{network.features(u8)};
    if (probabilities) out.push_back(network.probabilities(u8));
    return out;
  });
  return {rows[0], probabilities ? rows[1] : at::Tensor()};
}

}  // namespace scoregen::engine
