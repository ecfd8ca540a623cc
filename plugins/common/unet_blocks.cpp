// DDPM U-Net blocks (score_sde models/layerspp.py, ddpm.py).
#include "common/unet_blocks.hpp"

#include <cmath>

#include <fmt/format.h>

#include "scoregen/batch_random.hpp"

namespace scoregen::plugins {

namespace nn = torch::nn;

std::int64_t norm_groups(std::int64_t channels) {
  for (std::int64_t g : {32, 16, 8, 4, 2})
    if (channels % g == 0 && channels / g >= 2) return g;
  return 1;
}

namespace {
nn::Conv2d conv3(std::int64_t in, std::int64_t out, std::int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}
nn::GroupNorm group_norm(std::int64_t c) { return nn::GroupNorm(nn::GroupNormOptions(norm_groups(c), c).eps(1e-6)); }
// Group normalisation in float32 also under bf16 autocast (LibTorch's CPU kernel takes one dtype; norms in float32 is
// the usual mixed-precision rule).
at::Tensor normed(nn::GroupNorm& norm, const at::Tensor& x) { return norm(x.to(at::kFloat)); }
}  // namespace

ResBlockImpl::ResBlockImpl(std::int64_t in, std::int64_t out, std::int64_t temb, double dropout) {
  norm1 = register_module("norm1", group_norm(in));
  conv1 = register_module("conv1", conv3(in, out));
  temb_proj = register_module("temb_proj", nn::Linear(temb, out));
  norm2 = register_module("norm2", group_norm(out));
  this->dropout = dropout;
  conv2 = register_module("conv2", conv3(out, out));
  // Zero-initialised last conv: each block starts as the identity (DDPM's init_scale = 0)
  nn::init::zeros_(conv2->weight);
  if (in != out) skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
}

at::Tensor ResBlockImpl::forward(const at::Tensor& x, const at::Tensor& emb) {
  // h = conv(silu(gn(x))) + W temb; h = conv(dropout(silu(gn(h)))); return skip(x) + h
  at::Tensor h = conv1(at::silu(normed(norm1, x)));
  h = h + temb_proj(at::silu(emb)).unsqueeze(-1).unsqueeze(-1);
  h = conv2(example_dropout(at::silu(normed(norm2, h)), dropout, is_training()));
  return (skip.is_empty() ? x : skip(x)) + h;
}

AttnBlockImpl::AttnBlockImpl(std::int64_t channels) {
  norm = register_module("norm", group_norm(channels));
  qkv = register_module("qkv", nn::Conv2d(nn::Conv2dOptions(channels, 3 * channels, 1)));
  proj = register_module("proj", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
  nn::init::zeros_(proj->weight);
}

at::Tensor AttnBlockImpl::forward(const at::Tensor& x) {
  const auto c = x.size(1), h = x.size(2), w = x.size(3);  // -1 for the batch: a traced network runs on any batch
  auto parts = qkv(normed(norm, x)).reshape({-1, 3, c, h * w}).unbind(1);
  // softmax(q^T k / sqrt(C)) over key positions; out = v attn^T
  at::Tensor attn = at::softmax(at::matmul(parts[0].transpose(1, 2), parts[1]) / std::sqrt(static_cast<double>(c)), -1);
  at::Tensor out = at::matmul(parts[2], attn.transpose(1, 2)).reshape({-1, c, h, w});
  return x + proj(out);
}

UNetImpl::UNetImpl(const UNetConfig& config) : cfg(config) {
  const std::int64_t ch = cfg.ch, temb = 4 * ch;
  temb0 = register_module("temb0", nn::Linear(ch, temb));
  temb1 = register_module("temb1", nn::Linear(temb, temb));
  if (cfg.num_classes > 0) label_emb = register_module("label_emb", nn::Embedding(cfg.num_classes, temb));
  conv_in = register_module("conv_in", conv3(cfg.in_channels, ch));
  down = register_module("down", nn::ModuleList());
  std::vector<std::int64_t> skips{ch};
  std::int64_t cur = ch, res = cfg.resolution;
  auto attn_at = [&](std::int64_t r) {
    return std::find(cfg.attn_resolutions.begin(), cfg.attn_resolutions.end(), r) != cfg.attn_resolutions.end();
  };
  for (std::size_t level = 0; level < cfg.ch_mult.size(); ++level) {
    const std::int64_t out = ch * cfg.ch_mult[level];
    for (std::int64_t i = 0; i < cfg.num_res_blocks; ++i) {
      down->push_back(ResBlock(cur, out, temb, cfg.dropout));
      down_kinds.push_back("res");
      if (attn_at(res)) down->push_back(AttnBlock(out)), down_kinds.push_back("attn");
      cur = out;
      skips.push_back(cur);
    }
    if (level + 1 < cfg.ch_mult.size()) {
      down->push_back(conv3(cur, cur, 2));  // Downsample: 3x3 conv, stride 2
      down_kinds.push_back("down");
      res = (res + 1) / 2;
      skips.push_back(cur);
    }
  }
  mid1 = register_module("mid1", ResBlock(cur, cur, temb, cfg.dropout));
  mid_attn = register_module("mid_attn", AttnBlock(cur));
  mid2 = register_module("mid2", ResBlock(cur, cur, temb, cfg.dropout));
  if (cfg.head) {
    norm_out = register_module("norm_out", group_norm(cur));
    logits = register_module("logits", nn::Linear(cur, cfg.out_channels));
    return;
  }
  up = register_module("up", nn::ModuleList());
  for (std::size_t level = cfg.ch_mult.size(); level-- > 0;) {
    const std::int64_t out = ch * cfg.ch_mult[level];
    for (std::int64_t i = 0; i < cfg.num_res_blocks + 1; ++i) {
      up->push_back(ResBlock(cur + skips.back(), out, temb, cfg.dropout));
      skips.pop_back();
      up_kinds.push_back("res");
      if (attn_at(res)) up->push_back(AttnBlock(out)), up_kinds.push_back("attn");
      cur = out;
    }
    if (level > 0) {
      up->push_back(conv3(cur, cur));  // Upsample: nearest x2, then 3x3 conv
      up_kinds.push_back("up");
      res = res * 2;
    }
  }
  norm_out = register_module("norm_out", group_norm(cur));
  conv_out = register_module("conv_out", conv3(cur, cfg.out_channels));
  nn::init::zeros_(conv_out->weight);
}

at::Tensor UNetImpl::pooled(const at::Tensor& x, const at::Tensor& time_features, const at::Tensor& labels) {
  at::Tensor emb = temb1(at::silu(temb0(time_features)));
  if (!label_emb.is_empty() && labels.defined()) emb = emb + label_emb(labels);
  at::Tensor h = conv_in(x);
  for (std::size_t i = 0; i < down_kinds.size(); ++i) {
    const auto& kind = down_kinds[i];
    if (kind == "res") h = down[i]->as<ResBlockImpl>()->forward(h, emb);
    else if (kind == "attn") h = down[i]->as<AttnBlockImpl>()->forward(h);
    else h = down[i]->as<nn::Conv2dImpl>()->forward(h);
  }
  h = mid2(mid_attn(mid1(h, emb)), emb);
  return at::silu(normed(norm_out, h)).mean({2, 3});
}

at::Tensor UNetImpl::forward(const at::Tensor& x, const at::Tensor& time_features, const at::Tensor& labels) {
  if (cfg.head) return logits(pooled(x, time_features, labels));
  at::Tensor emb = temb1(at::silu(temb0(time_features)));
  if (!label_emb.is_empty() && labels.defined()) emb = emb + label_emb(labels);
  std::vector<at::Tensor> hs{conv_in(x)};
  at::Tensor h = hs.back();
  for (std::size_t i = 0; i < down_kinds.size(); ++i) {
    const auto& kind = down_kinds[i];
    if (kind == "res") h = down[i]->as<ResBlockImpl>()->forward(h, emb);
    else if (kind == "attn") h = down[i]->as<AttnBlockImpl>()->forward(h);
    else h = down[i]->as<nn::Conv2dImpl>()->forward(h);
    if (kind == "attn") hs.back() = h;  // the skip is taken after the attention that follows a block
    else hs.push_back(h);
  }
  h = mid2(mid_attn(mid1(h, emb)), emb);
  for (std::size_t i = 0; i < up_kinds.size(); ++i) {
    const auto& kind = up_kinds[i];
    if (kind == "res") {
      at::Tensor skip = hs.back();
      hs.pop_back();
      h = up[i]->as<ResBlockImpl>()->forward(at::cat({h, skip}, 1), emb);
    } else if (kind == "attn") {
      h = up[i]->as<AttnBlockImpl>()->forward(h);
    } else {
      std::vector<std::int64_t> size{hs.back().size(2), hs.back().size(3)};
      h = up[i]->as<nn::Conv2dImpl>()->forward(at::upsample_nearest2d(h, size));
    }
  }
  return conv_out(at::silu(normed(norm_out, h)));
}

}  // namespace scoregen::plugins
