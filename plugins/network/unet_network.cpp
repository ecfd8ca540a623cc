// The DDPM U-Net as a score network (Ho et al. 2020, app. B; as score_sde models/ddpm.py), sized down for CPUs.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/unet_blocks.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"
#include "scoregen/time_embedding.hpp"

namespace scoregen::plugins {

class UNetNetwork : public Network {
 public:
  struct Settings {
    std::int64_t ch = 32;
    std::vector<std::int64_t> ch_mult{1, 2, 2};
    std::int64_t num_res_blocks = 1;
    std::vector<std::int64_t> attn_resolutions{-1};
    double dropout = 0.1;
    std::string embedding = "auto", predicts = "noise";
    bool scale_by_sigma = false, conditional = false;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::ch, "ch", "base channels (even)").at_least(2);
    d(&Settings::ch_mult, "ch_mult", "channel multiplier per resolution level").at_least(1);
    d(&Settings::num_res_blocks, "num_res_blocks", "residual blocks per level").at_least(1);
    d(&Settings::attn_resolutions, "attn_resolutions",
      "resolutions (pixels) with self-attention after each block; a negative entry counts levels from the lowest "
      "(-1: the lowest resolution, 7 for 28x28 with three levels; 8 for 32x32)");
    d(&Settings::dropout, "dropout", "dropout in residual blocks").at_least(0).below(1);
    d(&Settings::embedding, "embedding",
      "time embedding: sinusoidal of 1000 t, Fourier of log sigma, or auto (what the SDE conditions on)")
        .one_of({"auto", "sinusoidal", "fourier"});
    d(&Settings::predicts, "predicts", "what the output means").one_of({"score", "noise", "data"});
    d(&Settings::scale_by_sigma, "scale_by_sigma", "divide the output by sigma(t) (score prediction)");
    d(&Settings::conditional, "conditional", "class-conditional (labelled data)");
  }

  UNetNetwork(const Settings& s, const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), predicts_(parse_prediction(s.predicts)), embedding_(s.embedding), scale_by_sigma_(s.scale_by_sigma) {
    if (ctx.data_shape.size() != 3) throw Error("the unet network needs image data [C, H, W] in [data]");
    if (s.ch % 2) o.fail("ch", "must be an even number");
    if (s.ch_mult.empty()) o.fail("ch_mult", "needs at least one level");
    UNetConfig cfg;
    cfg.in_channels = cfg.out_channels = ctx.data_shape[0];
    cfg.resolution = ctx.data_shape[1];
    cfg.ch = s.ch;
    cfg.ch_mult = s.ch_mult;
    cfg.num_res_blocks = s.num_res_blocks;
    cfg.dropout = s.dropout;
    if (s.conditional) {
      if (ctx.num_classes < 1) o.fail("conditional", "the [data] set has no class labels");
      cfg.num_classes = ctx.num_classes;
      conditional_ = true;
    }
    // Every attention resolution must be one the U-Net has: 28 -> 14 -> 7 for three levels on 28 x 28 (or a level
    // counted from the lowest, so that the default fits any image size).
    std::vector<std::int64_t> levels;
    for (std::int64_t r = cfg.resolution, l = 0; l < static_cast<std::int64_t>(cfg.ch_mult.size()); ++l, r = (r + 1) / 2)
      levels.push_back(r);
    const auto depth = static_cast<std::int64_t>(levels.size());
    for (auto r : s.attn_resolutions) {
      if (r < 0 && -r > depth)
        o.fail("attn_resolutions", fmt::format("{} counts {} levels from the lowest; this U-Net has {} (resolutions {})",
                                               r, -r, depth, fmt::join(levels, ", ")));
      if (r >= 0 && std::find(levels.begin(), levels.end(), r) == levels.end())
        o.fail("attn_resolutions", fmt::format("{} matches no level of this U-Net (its resolutions are {}; -1 is the "
                                               "lowest)", r, fmt::join(levels, ", ")));
      cfg.attn_resolutions.push_back(r < 0 ? levels[static_cast<std::size_t>(depth + r)] : r);
    }
    if (embedding_ == "auto")
      embedding_ = sde_->noise_conditioning() == NoiseConditioning::LogSigma ? "fourier" : "sinusoidal";
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
  bool class_conditional() const override { return conditional_; }

 private:
  std::shared_ptr<Sde> sde_;
  Prediction predicts_;
  std::string embedding_;
  bool scale_by_sigma_, conditional_ = false;
  std::int64_t ch_ = 0;
  at::Tensor fourier_w_;
  UNet unet_{nullptr};
};

SCOREGEN_PLUGIN(Network, "unet", "DDPM U-Net: residual blocks with time embedding, group norm, self-attention", UNetNetwork);

}  // namespace scoregen::plugins
