// Blocks of NCSN's RefineNet (Song & Ermon 2019, ncsn/models/cond_refinenet_dilated.py): conditional
// instance normalisation++ over the noise levels, dilated residual blocks, and RefineNet's RCU/MSF/CRP.
#pragma once

#include <torch/nn.h>

namespace scoregen::plugins {

// InstanceNorm++ (NCSN eq. in appendix A): gamma (x - mu) / s + beta + alpha (mu - m(mu)) / s(mu),
// with per-noise-level gamma, alpha, beta when `levels` > 0 (conditional), shared ones otherwise (NCSNv2).
struct InstanceNormPPImpl : torch::nn::Module {
  InstanceNormPPImpl(std::int64_t channels, std::int64_t levels);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& level);
  std::int64_t levels;
  torch::nn::Embedding embed{nullptr};  // [levels, 3C]: gamma, alpha, beta
  at::Tensor gamma, alpha, beta;        // unconditional
};
TORCH_MODULE(InstanceNormPP);

// norm -> ELU -> conv -> norm -> ELU -> conv (+ shortcut); optional stride-2 resampling or dilation.
struct NcsnResBlockImpl : torch::nn::Module {
  NcsnResBlockImpl(std::int64_t in, std::int64_t out, std::int64_t levels, bool down, std::int64_t dilation);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& level);
  InstanceNormPP norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  bool down;
};
TORCH_MODULE(NcsnResBlock);

// One RefineNet block: RCUs on each input, multi-resolution fusion, chained residual pooling, output RCU.
struct RefineBlockImpl : torch::nn::Module {
  RefineBlockImpl(std::vector<std::int64_t> in_channels, std::int64_t out, std::int64_t levels, bool end);
  at::Tensor forward(const std::vector<at::Tensor>& xs, const at::Tensor& level, at::IntArrayRef size);
  torch::nn::ModuleList rcu_norms{nullptr}, rcu_convs{nullptr}, msf_convs{nullptr}, crp_norms{nullptr},
      crp_convs{nullptr}, out_norms{nullptr}, out_convs{nullptr};
  std::size_t inputs;
};
TORCH_MODULE(RefineBlock);

}  // namespace scoregen::plugins
