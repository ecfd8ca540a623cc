// The DDPM U-Net as a score network (Ho et al. 2020; score_sde models/ddpm.py), sized down for CPUs.
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"
#include "scoregen/time_embedding.hpp"
#include "unet_blocks.hpp"

namespace scoregen::plugins {

class UNetNetwork : public Network {
 public:
  UNetNetwork(const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), predicts_(parse_prediction(o.string("predicts"))), embedding_(o.string("embedding")),
        scale_by_sigma_(o.boolean("scale_by_sigma")) {
    if (ctx.data_shape.size() != 3) throw Error("the unet network needs image data [C, H, W] in [data]");
    UNetConfig cfg;
    cfg.in_channels = cfg.out_channels = ctx.data_shape[0];
    cfg.resolution = ctx.data_shape[1];
    cfg.ch = o.integer("ch");
    cfg.ch_mult = o.integers("ch_mult");
    cfg.num_res_blocks = o.integer("num_res_blocks");
    cfg.attn_resolutions = o.integers("attn_resolutions");
    cfg.dropout = o.real("dropout");
    if (cfg.ch < 2 || cfg.ch % 2) o.fail("ch", "must be an even number >= 2");
    if (cfg.ch_mult.empty()) o.fail("ch_mult", "needs at least one level");
    for (auto m : cfg.ch_mult)
      if (m < 1) o.fail("ch_mult", "multipliers must be >= 1");
    if (cfg.num_res_blocks < 1) o.fail("num_res_blocks", "must be >= 1");
    if (!(cfg.dropout >= 0 && cfg.dropout < 1)) o.fail("dropout", "must be in [0, 1)");
    if (o.boolean("conditional")) {
      if (ctx.num_classes < 1) o.fail("conditional", "the [data] set has no class labels");
      cfg.num_classes = ctx.num_classes;
    }
    if (embedding_ == "auto") embedding_ = sde_->family() == SdeFamily::VE ? "fourier" : "sinusoidal";
    if (embedding_ == "fourier") fourier_w_ = register_buffer("fourier_w", at::randn({cfg.ch / 2}) * 16.0);
    unet_ = register_module("unet", UNet(cfg));
    ch_ = cfg.ch;
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    at::Tensor tf = t.to(x.scalar_type());
    at::Tensor std = sde_->marginal_std(tf);
    // Time features: sinusoidal of 1000 t (DDPM) or Gaussian Fourier of log sigma (NCSN++)
    at::Tensor feats = embedding_ == "fourier" ? fourier_embedding(at::log(std), fourier_w_)
                                               : sinusoidal_embedding(tf * 1000.0, ch_);
    at::Tensor out = unet_->forward(x, feats, y);
    if (scale_by_sigma_) out = out / batch_view(std, out);
    return out;
  }
  Prediction predicts() const override { return predicts_; }

 private:
  std::shared_ptr<Sde> sde_;
  Prediction predicts_;
  std::string embedding_;
  bool scale_by_sigma_;
  std::int64_t ch_ = 0;
  at::Tensor fourier_w_;
  UNet unet_{nullptr};
};

SCOREGEN_PLUGIN(Network, "unet", "DDPM U-Net: residual blocks with time embedding, group norm, self-attention",
                UNetNetwork, opt::integer("ch", 32, "base channels"),
                opt::integers("ch_mult", {1, 2, 2}, "channel multiplier per resolution level"),
                opt::integer("num_res_blocks", 1, "residual blocks per level"),
                opt::integers("attn_resolutions", {7}, "resolutions with self-attention"),
                opt::real("dropout", 0.1, "dropout in residual blocks"),
                opt::string("embedding", "auto", "time embedding: sinusoidal of 1000 t, Fourier of log sigma, or auto",
                            {"auto", "sinusoidal", "fourier"}),
                opt::string("predicts", "noise", "what the output means", {"score", "noise", "data"}),
                opt::boolean("scale_by_sigma", false, "divide the output by sigma(t) (score prediction)"),
                opt::boolean("conditional", false, "class-conditional (labelled data)"));

}  // namespace scoregen::plugins
