// A time-dependent classifier p_t(y | x) trained on data noised by the pipeline's SDE (Song et al. 2021, app. I.1):
// the U-Net trunk with a pooled head for images, an MLP for low-dimensional data.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/autograd.h>
#include <torch/nn.h>

#include "common/unet_blocks.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/sde.hpp"
#include "scoregen/time_embedding.hpp"

namespace scoregen::plugins {

struct ClassifierSettings {
  std::int64_t embed_dim = 32;
  std::vector<std::int64_t> ch_mult{1, 2, 2};
  std::int64_t width = 128;
};

class ClassifierModule : public torch::nn::Module {
 public:
  ClassifierModule(const ClassifierSettings& s, const Options& o, const BuildContext& ctx) : sde_(ctx.sde) {
    if (ctx.num_classes < 2) throw Error("the classifier guidance needs labelled [data] with at least 2 classes");
    emb_ = s.embed_dim;
    if (emb_ % 2) o.fail("embed_dim", "must be an even number");
    if (ctx.data_shape.size() == 3) {
      UNetConfig cfg;
      cfg.in_channels = ctx.data_shape[0];
      cfg.resolution = ctx.data_shape[1];
      cfg.ch = emb_;
      cfg.ch_mult = s.ch_mult;
      cfg.num_res_blocks = 1;
      cfg.attn_resolutions = {};
      cfg.dropout = 0.0;
      cfg.head = true;
      cfg.out_channels = ctx.num_classes;
      trunk_ = register_module("trunk", UNet(cfg));
    } else {
      std::int64_t d = 1;
      for (auto v : ctx.data_shape) d *= v;
      const std::int64_t width = s.width;
      mlp_ = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(d + emb_, width), torch::nn::SiLU(),
                                                          torch::nn::Linear(width, width), torch::nn::SiLU(),
                                                          torch::nn::Linear(width, ctx.num_classes)));
    }
  }
  at::Tensor logits(const at::Tensor& x, const at::Tensor& t) {
    // time features: sinusoidal of 1000 t (the same embedding as the score networks)
    at::Tensor feats = sinusoidal_embedding(t.to(x.scalar_type()) * 1000.0, emb_);
    if (!trunk_.is_empty()) return trunk_->forward(x, feats, at::Tensor());
    return mlp_->forward(at::cat({x.reshape({x.size(0), -1}), feats}, 1));
  }
  // The pooled U-Net trunk (images) or the last hidden layer (MLP).
  at::Tensor features(const at::Tensor& x, const at::Tensor& t) {
    at::Tensor feats = sinusoidal_embedding(t.to(x.scalar_type()) * 1000.0, emb_);
    if (!trunk_.is_empty()) return trunk_->pooled(x, feats, at::Tensor());
    at::Tensor h = at::cat({x.reshape({x.size(0), -1}), feats}, 1);
    // every layer but the final Linear: Linear, SiLU, Linear, SiLU
    for (std::size_t i = 0; i + 1 < mlp_->size(); ++i) {
      auto* linear = mlp_->ptr(i)->as<torch::nn::LinearImpl>();
      h = linear ? linear->forward(h) : at::silu(h);
    }
    return h;
  }

 private:
  std::shared_ptr<Sde> sde_;
  std::int64_t emb_;
  UNet trunk_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
};

class ClassifierGuidance : public Guidance {
 public:
  using Settings = ClassifierSettings;
  static void declare(Declaration<Settings>& d) {
    d(&Settings::embed_dim, "embed_dim", "time-embedding size and U-Net base channels (even)").at_least(2);
    d(&Settings::ch_mult, "ch_mult", "U-Net trunk channel multipliers (images)").at_least(1);
    d(&Settings::width, "width", "hidden units of the MLP (low-dimensional data)").at_least(1);
  }
  ClassifierGuidance(const Settings& s, const Options& o, const BuildContext& ctx)
      : net_(std::make_shared<ClassifierModule>(s, o, ctx)), classes_(ctx.num_classes) {}
  at::Tensor logits(const at::Tensor& x, const at::Tensor& t) override { return net_->logits(x, t); }
  at::Tensor features(const at::Tensor& x, const at::Tensor& t) override { return net_->features(x, t); }
  at::Tensor grad_log_prob(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    // grad_x log softmax(logits(x, t))_y by autograd
    torch::AutoGradMode on(true);
    at::Tensor xg = x.detach().requires_grad_(true);
    at::Tensor logp = at::log_softmax(net_->logits(xg, t), 1).gather(1, y.reshape({-1, 1})).sum();
    return torch::autograd::grad({logp}, {xg})[0].detach();
  }
  torch::nn::Module* module() override { return net_.get(); }
  std::int64_t num_classes() const override { return classes_; }

 private:
  std::shared_ptr<ClassifierModule> net_;
  std::int64_t classes_;
};

SCOREGEN_PLUGIN(Guidance, "classifier",
                "time-dependent classifier p_t(y | x) (U-Net trunk for images, MLP otherwise); train with [objective] classifier",
                ClassifierGuidance);

}  // namespace scoregen::plugins
