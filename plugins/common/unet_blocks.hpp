// Building blocks of the DDPM U-Net (Ho et al. 2020, diffusion_tf / score_sde ddpm.py): residual blocks with
// a time embedding, group norm, self-attention, resampling; and the U-Net trunk assembled from them.
#pragma once

#include <torch/nn.h>

namespace scoregen::plugins {

// Largest group count in {32, 16, 8, 4, 2, 1} dividing `channels`.
std::int64_t norm_groups(std::int64_t channels);

struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(std::int64_t in, std::int64_t out, std::int64_t temb, double dropout);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& emb);
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  torch::nn::Linear temb_proj{nullptr};
  double dropout;
};
TORCH_MODULE(ResBlock);

struct AttnBlockImpl : torch::nn::Module {
  explicit AttnBlockImpl(std::int64_t channels);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Conv2d qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(AttnBlock);

struct UNetConfig {
  std::int64_t in_channels = 1, out_channels = 1, resolution = 28, ch = 32, num_res_blocks = 1, num_classes = 0;
  std::vector<std::int64_t> ch_mult{1, 2, 2};
  std::vector<std::int64_t> attn_resolutions{7};
  double dropout = 0.1;
  bool head = false;  // true: no decoder; pooled features -> out_channels logits (a classifier trunk)
};

// The U-Net: x [B, C, H, W], time features [B, ch] (already embedded), labels [B] or undefined.
struct UNetImpl : torch::nn::Module {
  explicit UNetImpl(const UNetConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& time_features, const at::Tensor& labels);
  // head = true: the pooled trunk features before the logits layer [B, C].
  at::Tensor pooled(const at::Tensor& x, const at::Tensor& time_features, const at::Tensor& labels);
  UNetConfig cfg;
  torch::nn::Linear temb0{nullptr}, temb1{nullptr};
  torch::nn::Embedding label_emb{nullptr};
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down{nullptr}, up{nullptr};
  ResBlock mid1{nullptr}, mid2{nullptr};
  AttnBlock mid_attn{nullptr};
  torch::nn::GroupNorm norm_out{nullptr};
  torch::nn::Linear logits{nullptr};
  std::vector<std::string> down_kinds, up_kinds;  // "res", "res+attn", "down", "up"
};
TORCH_MODULE(UNet);

}  // namespace scoregen::plugins
