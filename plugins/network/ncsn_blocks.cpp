// NCSN RefineNet blocks (ncsn/models/cond_refinenet_dilated.py, ncsnv2/models/layers.py).
#include "ncsn_blocks.hpp"

namespace scoregen::plugins {

namespace nn = torch::nn;

namespace {
nn::Conv2d conv3(std::int64_t in, std::int64_t out, std::int64_t stride = 1, std::int64_t dilation = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(dilation).dilation(dilation));
}
}  // namespace

InstanceNormPPImpl::InstanceNormPPImpl(std::int64_t channels, std::int64_t n_levels) : levels(n_levels) {
  if (levels > 0) {
    embed = register_module("embed", nn::Embedding(levels, 3 * channels));
    // gamma, alpha ~ N(1, 0.02), beta = 0 (ConditionalInstanceNorm2dPlus init)
    torch::NoGradGuard g;
    embed->weight.narrow(1, 0, 2 * channels).normal_(1.0, 0.02);
    embed->weight.narrow(1, 2 * channels, channels).zero_();
  } else {
    gamma = register_parameter("gamma", at::ones({channels}));
    alpha = register_parameter("alpha", at::ones({channels}));
    beta = register_parameter("beta", at::zeros({channels}));
  }
}

at::Tensor InstanceNormPPImpl::forward(const at::Tensor& x, const at::Tensor& level) {
  at::Tensor mu = x.mean({2, 3});                                        // per-channel means [B, C]
  at::Tensor m = mu.mean(1, true), s = (mu.var(1, false, true) + 1e-5).sqrt();
  at::Tensor h = at::instance_norm(x, {}, {}, {}, {}, true, 0.0, 1e-5, false);
  at::Tensor g, a, b;
  if (levels > 0) {
    auto parts = embed(level).chunk(3, 1);
    g = parts[0], a = parts[1], b = parts[2];
  } else {
    g = gamma.expand_as(mu), a = alpha.expand_as(mu), b = beta.expand_as(mu);
  }
  // h + alpha (mu - m) / s, then gamma * . + beta
  h = h + (a * (mu - m) / s).unsqueeze(-1).unsqueeze(-1);
  return g.unsqueeze(-1).unsqueeze(-1) * h + b.unsqueeze(-1).unsqueeze(-1);
}

NcsnResBlockImpl::NcsnResBlockImpl(std::int64_t in, std::int64_t out, std::int64_t levels, bool down_, std::int64_t dilation)
    : down(down_) {
  norm1 = register_module("norm1", InstanceNormPP(in, levels));
  conv1 = register_module("conv1", conv3(in, out, 1, dilation));
  norm2 = register_module("norm2", InstanceNormPP(out, levels));
  conv2 = register_module("conv2", conv3(out, out, 1, dilation));
  if (in != out || down) shortcut = register_module("shortcut", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
}

at::Tensor NcsnResBlockImpl::forward(const at::Tensor& x, const at::Tensor& level) {
  at::Tensor h = conv1(at::elu(norm1(x, level)));
  h = conv2(at::elu(norm2(h, level)));
  at::Tensor skip = shortcut.is_empty() ? x : shortcut(x);
  if (down) {
    // ConvMeanPool: average-pool 2x2 after the convolutions
    h = at::avg_pool2d(h, 2, 2, 0, true);
    skip = at::avg_pool2d(skip, 2, 2, 0, true);
  }
  return h + skip;
}

RefineBlockImpl::RefineBlockImpl(std::vector<std::int64_t> in_channels, std::int64_t out, std::int64_t levels, bool end)
    : inputs(in_channels.size()) {
  rcu_norms = register_module("rcu_norms", nn::ModuleList());
  rcu_convs = register_module("rcu_convs", nn::ModuleList());
  msf_convs = register_module("msf_convs", nn::ModuleList());
  for (std::int64_t c : in_channels) {
    for (int k = 0; k < 2; ++k) {  // RCU: two norm-ELU-conv residual units per input
      rcu_norms->push_back(InstanceNormPP(c, levels));
      rcu_convs->push_back(conv3(c, c));
    }
    msf_convs->push_back(conv3(c, out));
  }
  crp_norms = register_module("crp_norms", nn::ModuleList());
  crp_convs = register_module("crp_convs", nn::ModuleList());
  for (int k = 0; k < 2; ++k) {
    crp_norms->push_back(InstanceNormPP(out, levels));
    crp_convs->push_back(conv3(out, out));
  }
  out_norms = register_module("out_norms", nn::ModuleList());
  out_convs = register_module("out_convs", nn::ModuleList());
  for (int k = 0; k < (end ? 3 : 1); ++k) {
    out_norms->push_back(InstanceNormPP(out, levels));
    out_convs->push_back(conv3(out, out));
  }
}

at::Tensor RefineBlockImpl::forward(const std::vector<at::Tensor>& xs, const at::Tensor& level, at::IntArrayRef size) {
  at::Tensor fused;
  for (std::size_t i = 0; i < inputs; ++i) {
    at::Tensor h = xs[i];
    for (int k = 0; k < 2; ++k) {
      auto j = static_cast<std::size_t>(2 * i + k);
      h = h + rcu_convs[j]->as<nn::Conv2dImpl>()->forward(at::elu(rcu_norms[j]->as<InstanceNormPPImpl>()->forward(h, level)));
    }
    // Multi-resolution fusion: conv, upsample to the largest input, sum
    h = msf_convs[i]->as<nn::Conv2dImpl>()->forward(h);
    if (h.size(2) != size[0] || h.size(3) != size[1])
      h = at::upsample_bilinear2d(h, {size[0], size[1]}, false);
    fused = fused.defined() ? fused + h : h;
  }
  // Chained residual pooling: x <- x + conv(pool(norm(.))) chained
  at::Tensor path = at::elu(fused);
  at::Tensor out = path;
  for (int k = 0; k < 2; ++k) {
    path = crp_convs[k]->as<nn::Conv2dImpl>()->forward(
        at::avg_pool2d(crp_norms[k]->as<InstanceNormPPImpl>()->forward(path, level), 5, 1, 2));
    out = out + path;
  }
  for (std::size_t k = 0; k < out_convs->size(); ++k)
    out = out + out_convs[k]->as<nn::Conv2dImpl>()->forward(at::elu(out_norms[k]->as<InstanceNormPPImpl>()->forward(out, level)));
  return out;
}

}  // namespace scoregen::plugins
