// NCSN++ / DDPM++ blocks (score_sde_pytorch models/ncsnpp.py, layerspp.py, up_or_down_sampling.py; the facts in
// docs/score_sde_networks.md). Operations keep score_sde's order where it changes float32 rounding.
#include "ncsnpp_blocks.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/TracerMode.h>
#include <fmt/format.h>

#include "scoregen/batch_random.hpp"
#include "scoregen/error.hpp"

namespace scoregen::plugins::ncsnpp {

namespace nn = torch::nn;

namespace {

constexpr double kSqrt2 = 1.4142135623730951;  // skip_rescale divides sums by sqrt(2)

// The FIR filters, float32 on the CPU: outer(k, k) / sum with k = [1, 3, 3, 1] (symmetric: convolution and
// upfirdn2d's flipped correlation agree), and the four 3 x 3 phases of upsampling with it (fir_upsample). Built once,
// with the tracer paused: LibTorch's tracer records at::tensor's filling as an uninitialised aten::empty, which made
// an NCSN++ exported inside `scoregen export --torchscript`'s trace compute NaN; built outside, they are constants.
struct FirKernels {
  at::Tensor down, up_phases;
};
const FirKernels& fir_kernels() {
  static const FirKernels kernels = [] {
    at::tracer::impl::NoTracerDispatchMode no_tracing;
    at::Tensor k = at::tensor({1.0f, 3.0f, 3.0f, 1.0f}, at::kFloat);
    at::Tensor k2 = at::outer(k, k);
    // upfirdn2d with up = 2, pad (2, 1), kernel 4 outer(k, k) / sum: each output phase (a, b) of a 2 x 2 cell is a
    // 3 x 3 filter of the input padded by 1, from the 1-D phases [1, 3, 0] / 4 (even) and [0, 3, 1] / 4 (odd).
    at::Tensor p = at::tensor({1.0f, 3.0f, 0.0f, 0.0f, 3.0f, 1.0f}, at::kFloat).reshape({2, 3}) / 4;
    at::Tensor phases = at::stack({at::outer(p[0], p[0]), at::outer(p[0], p[1]), at::outer(p[1], p[0]),
                                   at::outer(p[1], p[1])});
    return FirKernels{(k2 / k2.sum()).unsqueeze(0), phases};
  }();
  return kernels;
}

// upfirdn2d's filtering of every channel on its own, as one depthwise convolution (groups = channels): `kernels`
// [K, kh, kw] are K filters per channel, so the result has K C channels. (A convolution of the B C channels as
// one-channel images was 35-90x slower on the CPU; no shape names the batch size, so a traced network runs on any
// batch: scoregen export --torchscript.)
at::Tensor filter_each_channel(const at::Tensor& x, const at::Tensor& kernels, std::int64_t stride = 1) {
  const auto c = x.size(1);
  at::Tensor w = kernels.unsqueeze(1).repeat({c, 1, 1, 1});  // [c K, 1, kh, kw]
  return at::conv2d(x, w.to(x.scalar_type()), at::Tensor(), at::IntArrayRef{stride, stride}, at::IntArrayRef{0, 0},
                    at::IntArrayRef{1, 1}, c);
}

std::int64_t groups_of(std::int64_t channels) { return std::min<std::int64_t>(channels / 4, 32); }

nn::GroupNorm group_norm(std::int64_t channels) {
  return nn::GroupNorm(nn::GroupNormOptions(groups_of(channels), channels).eps(1e-6));
}

nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, double init_scale, std::int64_t stride = 1,
                std::int64_t padding = -1) {
  nn::Conv2d m(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding < 0 ? kernel / 2 : padding));
  default_init(m->weight, init_scale);
  nn::init::zeros_(m->bias);
  return m;
}

nn::Linear dense(std::int64_t in, std::int64_t out) {
  nn::Linear m(in, out);
  default_init(m->weight, 1.0);
  nn::init::zeros_(m->bias);
  return m;
}

// Group normalisation in float32 (also under bf16 autocast, as the U-Net's blocks do).
at::Tensor normed(nn::GroupNorm& norm, const at::Tensor& x) { return norm(x.to(at::kFloat)); }

}  // namespace

at::Tensor fir_upsample(const at::Tensor& x) {
  // The four phases of each 2 x 2 output cell, interleaved by pixel_shuffle: equal to upfirdn2d's zero insertion and
  // 4 x 4 filter, without filtering its 3/4 zeros.
  at::Tensor phases = fir_kernels().up_phases.to(x.options());
  return at::pixel_shuffle(filter_each_channel(at::constant_pad_nd(x, {1, 1, 1, 1}), phases), 2);
}

at::Tensor fir_downsample(const at::Tensor& x) {
  // upfirdn2d with down = 2, pad (1, 1): filter with outer(k, k) / sum at stride 2.
  return filter_each_channel(at::constant_pad_nd(x, {1, 1, 1, 1}), fir_kernels().down.to(x.options()), 2);
}

at::Tensor naive_upsample(const at::Tensor& x) {
  const auto c = x.size(1), h = x.size(2), w = x.size(3);
  return x.reshape({-1, c, h, 1, w, 1}).repeat({1, 1, 1, 2, 1, 2}).reshape({-1, c, 2 * h, 2 * w});
}

at::Tensor naive_downsample(const at::Tensor& x) {
  const auto c = x.size(1), h = x.size(2), w = x.size(3);
  return x.reshape({-1, c, h / 2, 2, w / 2, 2}).mean({3, 5});
}

void default_init(const at::Tensor& weight, double scale) {
  // Variance scaling, fan_avg, uniform: U(-a, a), a = sqrt(3 scale / fan_avg); score_sde turns scale 0 into 1e-10.
  if (scale == 0.0) scale = 1e-10;
  std::int64_t receptive = 1;
  for (std::int64_t d = 2; d < weight.dim(); ++d) receptive *= weight.size(d);
  const double fan_in = static_cast<double>(weight.size(1) * receptive);
  const double fan_out = static_cast<double>(weight.size(0) * receptive);
  const double limit = std::sqrt(3.0 * scale / ((fan_in + fan_out) / 2.0));
  torch::NoGradGuard no_grad;
  weight.uniform_(-limit, limit);
}

FourierProjectionImpl::FourierProjectionImpl(std::int64_t size, double scale) {
  W = register_buffer("W", at::randn({size}) * scale);
}

at::Tensor FourierProjectionImpl::forward(const at::Tensor& v) {
  // x W 2 pi, in score_sde's order of float32 multiplications; sines first.
  at::Tensor proj = v.unsqueeze(1) * W.unsqueeze(0) * 2.0 * M_PI;
  return at::cat({at::sin(proj), at::cos(proj)}, -1);
}

at::Tensor positional_embedding(const at::Tensor& v, std::int64_t dim) {
  // frequency_j = exp(-j ln(10000) / (half - 1)) in float32; [sin(v f), cos(v f)].
  const std::int64_t half = dim / 2;
  const double step = std::log(10000.0) / static_cast<double>(half - 1);
  at::Tensor freqs = at::exp(at::arange(half, v.options().dtype(at::kFloat)) * -step);
  at::Tensor args = v.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  at::Tensor emb = at::cat({at::sin(args), at::cos(args)}, 1);
  if (dim % 2) emb = at::constant_pad_nd(emb, {0, 1});
  return emb;
}

NINImpl::NINImpl(std::int64_t in, std::int64_t out, double init_scale) {
  W = register_parameter("W", at::empty({in, out}));
  b = register_parameter("b", at::zeros({out}));
  default_init(W, init_scale);
}

at::Tensor NINImpl::forward(const at::Tensor& x) {
  // Contract the channel axis with W's first axis: per pixel y = x W + b.
  at::Tensor y = at::matmul(x.permute({0, 2, 3, 1}), W) + b;
  return y.permute({0, 3, 1, 2});
}

AttnImpl::AttnImpl(std::int64_t channels, bool skip_rescale, double init_scale) : skip_rescale(skip_rescale) {
  GroupNorm_0 = register_module("GroupNorm_0", group_norm(channels));
  NIN_0 = register_module("NIN_0", NIN(channels, channels, 1.0));
  NIN_1 = register_module("NIN_1", NIN(channels, channels, 1.0));
  NIN_2 = register_module("NIN_2", NIN(channels, channels, 1.0));
  NIN_3 = register_module("NIN_3", NIN(channels, channels, init_scale));
}

at::Tensor AttnImpl::forward(const at::Tensor& x) {
  const auto c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor n = normed(GroupNorm_0, x).to(x.scalar_type());
  at::Tensor q = NIN_0(n).reshape({-1, c, h * w}), k = NIN_1(n).reshape({-1, c, h * w});
  at::Tensor v = NIN_2(n).reshape({-1, c, h * w});
  // w[b, p, p'] = q_p . k_p' / sqrt(C), softmax over p'; a[b, c, p] = sum_p' w[b, p, p'] v[b, c, p'].
  at::Tensor weights = at::bmm(q.transpose(1, 2), k) * std::pow(static_cast<double>(c), -0.5);
  weights = at::softmax(weights, -1);
  at::Tensor a = at::bmm(v, weights.transpose(1, 2)).reshape({-1, c, h, w});
  at::Tensor out = x + NIN_3(a);
  return skip_rescale ? out / kSqrt2 : out;
}

ResBlockImpl::ResBlockImpl(const ResBlockOptions& options) : opt(options) {
  GroupNorm_0 = register_module("GroupNorm_0", group_norm(opt.in));
  Conv_0 = register_module("Conv_0", conv(opt.in, opt.out, 3, 1.0));
  if (opt.temb > 0) Dense_0 = register_module("Dense_0", dense(opt.temb, opt.out));
  GroupNorm_1 = register_module("GroupNorm_1", group_norm(opt.out));
  Conv_1 = register_module("Conv_1", conv(opt.out, opt.out, 3, opt.init_scale));
  if (opt.in != opt.out || opt.up || opt.down) Conv_2 = register_module("Conv_2", conv(opt.in, opt.out, 1, 1.0));
}

at::Tensor ResBlockImpl::forward(const at::Tensor& input, const at::Tensor& temb) {
  at::Tensor x = input;
  at::Tensor h = at::silu(normed(GroupNorm_0, x).to(x.scalar_type()));
  if (opt.up) {
    h = opt.fir ? fir_upsample(h) : naive_upsample(h);
    x = opt.fir ? fir_upsample(x) : naive_upsample(x);
  } else if (opt.down) {
    h = opt.fir ? fir_downsample(h) : naive_downsample(h);
    x = opt.fir ? fir_downsample(x) : naive_downsample(x);
  }
  h = Conv_0(h);
  if (!Dense_0.is_empty() && temb.defined()) h = h + Dense_0(at::silu(temb)).unsqueeze(-1).unsqueeze(-1);
  h = at::silu(normed(GroupNorm_1, h).to(x.scalar_type()));
  h = example_dropout(h, opt.dropout, is_training());
  h = Conv_1(h);
  if (!Conv_2.is_empty()) x = Conv_2(x);
  return opt.skip_rescale ? (x + h) / kSqrt2 : x + h;
}

ConvDownImpl::ConvDownImpl(std::int64_t in, std::int64_t out, bool fir) {
  if (fir) Conv2d_0 = register_module("Conv2d_0", conv(in, out, 3, 1.0, 2, 0));
  else Conv_0 = register_module("Conv_0", conv(in, out, 3, 1.0, 2, 0));
}

at::Tensor ConvDownImpl::forward(const at::Tensor& x) {
  if (Conv2d_0.is_empty()) return Conv_0(at::constant_pad_nd(x, {0, 1, 0, 1}));
  // FIR blur padded 2 and 2, then the stride-2 conv without bias, then the bias (score_sde's order).
  at::Tensor blurred = filter_each_channel(at::constant_pad_nd(x, {2, 2, 2, 2}), fir_kernels().down.to(x.options()));
  at::Tensor out = at::conv2d(blurred, Conv2d_0->weight, {}, {2, 2});
  return out + Conv2d_0->bias.reshape({1, -1, 1, 1});
}

CombineImpl::CombineImpl(std::int64_t in, std::int64_t out, bool concatenate) : concatenate(concatenate) {
  Conv_0 = register_module("Conv_0", conv(in, out, 1, 1.0));
}

at::Tensor CombineImpl::forward(const at::Tensor& pyramid, const at::Tensor& h) {
  at::Tensor p = Conv_0(pyramid);
  return concatenate ? at::cat({p, h}, 1) : p + h;
}

Body::Body(const Config& config, nn::ModuleList all_modules) : cfg_(config), list_(std::move(all_modules)) {
  const auto levels = static_cast<std::int64_t>(cfg_.ch_mult.size());
  for (std::int64_t i = 0, r = cfg_.resolution; i < levels; ++i, r /= 2) resolutions_.push_back(r);
  const std::int64_t nf = cfg_.nf, temb = 4 * nf, c = cfg_.channels;
  auto block = [&](std::int64_t in, std::int64_t out, bool up, bool down) {
    ResBlockOptions o;
    o.in = in, o.out = out, o.temb = temb, o.up = up, o.down = down, o.fir = cfg_.fir;
    o.skip_rescale = cfg_.skip_rescale, o.dropout = cfg_.dropout, o.init_scale = cfg_.init_scale;
    return ResBlock(o);
  };
  auto attn = [&](std::int64_t ch) { return Attn(ch, cfg_.skip_rescale, cfg_.init_scale); };
  // Time features and the time MLP.
  if (cfg_.fourier) list_->push_back(FourierProjection(nf, cfg_.fourier_scale));
  list_->push_back(dense(cfg_.fourier ? 2 * nf : nf, temb));
  list_->push_back(dense(temb, temb));
  // Input conv, then the down path with its skip widths.
  list_->push_back(conv(c, nf, 3, 1.0));
  std::vector<std::int64_t> hs_c{nf};
  std::int64_t in_ch = nf, pyramid_ch = c;
  const bool cat = cfg_.progressive_combine == "cat";
  for (std::int64_t i = 0; i < levels; ++i) {
    for (std::int64_t j = 0; j < cfg_.num_res_blocks; ++j) {
      const std::int64_t out = nf * cfg_.ch_mult[i];
      list_->push_back(block(in_ch, out, false, false));
      in_ch = out;
      if (attn_at(resolutions_[i])) list_->push_back(attn(in_ch));
      hs_c.push_back(in_ch);
    }
    if (i != levels - 1) {
      list_->push_back(block(in_ch, in_ch, false, true));
      if (cfg_.progressive_input == "input_skip") {
        list_->push_back(Combine(pyramid_ch, in_ch, cat));
        if (cat) in_ch *= 2;
      } else if (cfg_.progressive_input == "residual") {
        list_->push_back(ConvDown(pyramid_ch, in_ch, cfg_.fir));
        pyramid_ch = in_ch;
      }
      hs_c.push_back(in_ch);
    }
  }
  // Middle.
  in_ch = hs_c.back();
  list_->push_back(block(in_ch, in_ch, false, false));
  list_->push_back(attn(in_ch));
  list_->push_back(block(in_ch, in_ch, false, false));
  // Up path.
  for (std::int64_t i = levels - 1; i >= 0; --i) {
    for (std::int64_t j = 0; j < cfg_.num_res_blocks + 1; ++j) {
      const std::int64_t out = nf * cfg_.ch_mult[i];
      list_->push_back(block(in_ch + hs_c.back(), out, false, false));
      hs_c.pop_back();
      in_ch = out;
    }
    if (attn_at(resolutions_[i])) list_->push_back(attn(in_ch));
    if (cfg_.progressive == "output_skip") {
      list_->push_back(group_norm(in_ch));
      list_->push_back(conv(in_ch, c, 3, cfg_.init_scale));
    }
    if (i != 0) list_->push_back(block(in_ch, in_ch, true, false));
  }
  if (cfg_.progressive != "output_skip") {
    list_->push_back(group_norm(in_ch));
    list_->push_back(conv(in_ch, c, 3, cfg_.init_scale));
  }
}

bool Body::attn_at(std::int64_t resolution) const {
  return std::find(cfg_.attn_resolutions.begin(), cfg_.attn_resolutions.end(), resolution) !=
         cfg_.attn_resolutions.end();
}

template <class M>
M* Body::next(std::size_t& i) {
  auto* m = list_->ptr(i++)->as<M>();
  if (!m) throw Error(fmt::format("ncsnpp: module {} of all_modules is not the expected block (an internal error)", i - 1));
  return m;
}

at::Tensor Body::forward(const at::Tensor& input, const at::Tensor& features, const at::Tensor& extra) {
  std::size_t m = cfg_.fourier ? 1 : 0;
  const auto levels = static_cast<std::int64_t>(cfg_.ch_mult.size());
  // temb = Dense(act(Dense(features))), plus the class embedding.
  at::Tensor temb = next<nn::LinearImpl>(m)->forward(features);
  temb = next<nn::LinearImpl>(m)->forward(at::silu(temb));
  if (extra.defined()) temb = temb + extra;
  at::Tensor x = cfg_.centered ? input : 2 * input - 1.0;
  at::Tensor pyramid_in;
  if (cfg_.progressive_input != "none") pyramid_in = x;
  std::vector<at::Tensor> hs{next<nn::Conv2dImpl>(m)->forward(x)};
  at::Tensor h;
  for (std::int64_t i = 0; i < levels; ++i) {
    for (std::int64_t j = 0; j < cfg_.num_res_blocks; ++j) {
      h = next<ResBlockImpl>(m)->forward(hs.back(), temb);
      if (attn_at(h.size(-1))) h = next<AttnImpl>(m)->forward(h);
      hs.push_back(h);
    }
    if (i != levels - 1) {
      h = next<ResBlockImpl>(m)->forward(hs.back(), temb);
      if (cfg_.progressive_input == "input_skip") {
        pyramid_in = cfg_.fir ? fir_downsample(pyramid_in) : at::avg_pool2d(pyramid_in, {2, 2}, {2, 2});
        h = next<CombineImpl>(m)->forward(pyramid_in, h);
      } else if (cfg_.progressive_input == "residual") {
        pyramid_in = next<ConvDownImpl>(m)->forward(pyramid_in);
        pyramid_in = cfg_.skip_rescale ? (pyramid_in + h) / kSqrt2 : pyramid_in + h;
        h = pyramid_in;
      }
      hs.push_back(h);
    }
  }
  h = hs.back();
  h = next<ResBlockImpl>(m)->forward(h, temb);
  h = next<AttnImpl>(m)->forward(h);
  h = next<ResBlockImpl>(m)->forward(h, temb);
  at::Tensor pyramid;
  for (std::int64_t i = levels - 1; i >= 0; --i) {
    for (std::int64_t j = 0; j < cfg_.num_res_blocks + 1; ++j) {
      at::Tensor skip = hs.back();
      hs.pop_back();
      h = next<ResBlockImpl>(m)->forward(at::cat({h, skip}, 1), temb);
    }
    if (attn_at(h.size(-1))) h = next<AttnImpl>(m)->forward(h);
    if (cfg_.progressive == "output_skip") {
      at::Tensor o = at::silu(next<nn::GroupNormImpl>(m)->forward(h));
      o = next<nn::Conv2dImpl>(m)->forward(o);
      if (i == levels - 1) pyramid = o;
      else pyramid = (cfg_.fir ? fir_upsample(pyramid) : naive_upsample(pyramid)) + o;
    }
    if (i != 0) h = next<ResBlockImpl>(m)->forward(h, temb);
  }
  if (cfg_.progressive == "output_skip") return pyramid;
  h = at::silu(next<nn::GroupNormImpl>(m)->forward(h));
  return next<nn::Conv2dImpl>(m)->forward(h);
}

}  // namespace scoregen::plugins::ncsnpp
