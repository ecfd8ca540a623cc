// Building blocks of NCSN++ / DDPM++ (Song et al. 2021, "Score-Based Generative Modeling through SDEs", app. H),
// laid out as score_sde_pytorch's models/ncsnpp.py and layerspp.py name them, so that their checkpoints load by
// name: BigGAN-type residual blocks, pixel attention, FIR resampling (after StyleGAN2), the progressive input and
// output paths, and the network body built into one module list in score_sde's order
// (docs/score_sde_networks.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn.h>

namespace scoregen::plugins::ncsnpp {

// FIR resampling with the kernel outer([1,3,3,1], [1,3,3,1]) / 64, per channel (up_or_down_sampling.py):
// 2x up (zero insertion, pad 2/1, kernel x 4) and 2x down (pad 1/1, keep every second pixel).
at::Tensor fir_upsample(const at::Tensor& x);
at::Tensor fir_downsample(const at::Tensor& x);
// Without FIR: nearest 2x up, and the 2x2 mean.
at::Tensor naive_upsample(const at::Tensor& x);
at::Tensor naive_downsample(const at::Tensor& x);

// score_sde's initialisation: uniform variance scaling over fan_avg with `scale` (0 becomes 1e-10), zero bias.
void default_init(const at::Tensor& weight, double scale);

// Gaussian Fourier features of v: [sin(2 pi v W), cos(2 pi v W)]; W (a buffer) never trained.
struct FourierProjectionImpl : torch::nn::Module {
  FourierProjectionImpl(std::int64_t size, double scale);
  at::Tensor forward(const at::Tensor& v);
  at::Tensor W;
};
TORCH_MODULE(FourierProjection);

// The transformer-style embedding of v (DDPM's get_timestep_embedding), width `dim`.
at::Tensor positional_embedding(const at::Tensor& v, std::int64_t dim);

// "Network in network": a per-pixel linear map, W of shape (in, out), y[o] = sum_c x[c] W[c, o] + b[o].
struct NINImpl : torch::nn::Module {
  NINImpl(std::int64_t in, std::int64_t out, double init_scale);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor W, b;
};
TORCH_MODULE(NIN);

// Single-head self-attention over all pixels (AttnBlockpp).
struct AttnImpl : torch::nn::Module {
  AttnImpl(std::int64_t channels, bool skip_rescale, double init_scale);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::GroupNorm GroupNorm_0{nullptr};
  NIN NIN_0{nullptr}, NIN_1{nullptr}, NIN_2{nullptr}, NIN_3{nullptr};
  bool skip_rescale;
};
TORCH_MODULE(Attn);

// BigGAN-type residual block (ResnetBlockBigGANpp), optionally resampling by 2 (up or down).
struct ResBlockOptions {
  std::int64_t in = 0, out = 0, temb = 0;
  bool up = false, down = false, fir = true, skip_rescale = true;
  double dropout = 0.0, init_scale = 0.0;
};
struct ResBlockImpl : torch::nn::Module {
  explicit ResBlockImpl(const ResBlockOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb);
  ResBlockOptions opt;
  torch::nn::GroupNorm GroupNorm_0{nullptr}, GroupNorm_1{nullptr};
  torch::nn::Conv2d Conv_0{nullptr}, Conv_1{nullptr}, Conv_2{nullptr};
  torch::nn::Linear Dense_0{nullptr};
};
TORCH_MODULE(ResBlock);

// The `residual` input path's downsampling with weights (layerspp.Downsample with a conv): with FIR, Conv2d_0 =
// FIR blur (pad 2/2) then a stride-2 3x3 conv without padding, plus bias; without, Conv_0 = pad (0, 1) then a
// stride-2 3x3 conv.
struct ConvDownImpl : torch::nn::Module {
  ConvDownImpl(std::int64_t in, std::int64_t out, bool fir);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Conv2d Conv2d_0{nullptr}, Conv_0{nullptr};
};
TORCH_MODULE(ConvDown);

// The `input_skip` path's combination of the pyramid image with h: Conv_0 (1x1) of the image, summed or
// concatenated (image features first).
struct CombineImpl : torch::nn::Module {
  CombineImpl(std::int64_t in, std::int64_t out, bool concatenate);
  at::Tensor forward(const at::Tensor& pyramid, const at::Tensor& h);
  torch::nn::Conv2d Conv_0{nullptr};
  bool concatenate;
};
TORCH_MODULE(Combine);

// What the body is built from (score_sde's config.model keys).
struct Config {
  std::int64_t channels = 3, resolution = 32, nf = 128, num_res_blocks = 4;
  std::vector<std::int64_t> ch_mult{1, 2, 2, 2}, attn_resolutions{16};
  double dropout = 0.1, fourier_scale = 16.0, init_scale = 0.0;
  bool fir = true, skip_rescale = true, centered = false, fourier = true;
  std::string progressive = "none", progressive_input = "residual", progressive_combine = "sum";
};

// The network body: every module with weights in `all_modules`, appended in score_sde's construction order.
class Body {
 public:
  Body(const Config& config, torch::nn::ModuleList all_modules);
  // x [B, C, H, W]; features: the time features (Fourier of log labels, or positional of labels), before the time
  // MLP; extra: added to the embedding after the MLP (a class embedding) when defined. The output before
  // scale_by_sigma.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& features, const at::Tensor& extra);
  std::int64_t temb_dim() const { return 4 * cfg_.nf; }

 private:
  template <class M>
  M* next(std::size_t& i);
  Config cfg_;
  torch::nn::ModuleList list_;
  std::vector<std::int64_t> resolutions_;
  bool attn_at(std::int64_t resolution) const;
};

}  // namespace scoregen::plugins::ncsnpp
