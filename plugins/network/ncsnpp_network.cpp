// NCSN++ and DDPM++ (Song et al. 2021, "Score-Based Generative Modeling through SDEs", app. H) as score networks:
// one implementation, two plugins with the defaults of score_sde_pytorch's ve/cifar10_ncsnpp_continuous and
// vp/cifar10_ddpmpp_continuous configs. Parameter names are score_sde's state-dict keys, so its checkpoints load
// by name (docs/score_sde_networks.md).
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "ncsnpp_blocks.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

namespace {

// What differs between the two published architectures: NCSN++ (FIR, residual input path, Fourier features of
// log sigma, output divided by sigma, data in [0, 1]) and DDPM++ (none of these, data in [-1, 1]).
struct NcsnppDefaults {
  static constexpr bool fir = true, scale_by_sigma = true, centered = false;
  static constexpr const char* progressive_input = "residual";
  static constexpr const char* embedding_type = "fourier";
};
struct DdpmppDefaults {
  static constexpr bool fir = false, scale_by_sigma = false, centered = true;
  static constexpr const char* progressive_input = "none";
  static constexpr const char* embedding_type = "positional";
};

// The body's configuration and the time-input rules, checked against the data and the SDE.
struct Resolved {
  ncsnpp::Config config;
  bool continuous = true, scale_by_sigma = false, class_conditional = false;
  std::int64_t num_classes = 0;
  std::vector<std::int64_t> shape;  // the `shape` option (empty: from [data])
};

class NcsnppNetwork : public Network {
 public:
  NcsnppNetwork(const Resolved& r, const BuildContext& ctx)
      : sde_(ctx.sde), cfg_(r.config), continuous_(r.continuous), scale_by_sigma_(r.scale_by_sigma),
        class_conditional_(r.class_conditional), shape_(r.shape) {
    ve_ = sde_->noise_conditioning() == NoiseConditioning::LogSigma;
    all_modules_ = register_module("all_modules", torch::nn::ModuleList());
    body_ = std::make_unique<ncsnpp::Body>(cfg_, all_modules_);
    if (class_conditional_)
      label_embedding_ = register_module("label_embedding", torch::nn::Embedding(r.num_classes, 4 * cfg_.nf));
    if (scale_by_sigma_ && !cfg_.fourier) {
      // score_sde's noise table: exp(linspace(ln sigma_max, ln sigma_min, N)), descending.
      at::Tensor ends = sde_->marginal_std(at::tensor({sde_->T(), 0.0}, at::kDouble)).to(at::kDouble);
      const double smax = ends[0].item<double>(), smin = ends[1].item<double>();
      sigmas_ = register_buffer("sigmas",
                                at::exp(at::linspace(std::log(smax), std::log(smin), sde_->N(), at::kDouble)).to(at::kFloat));
    }
  }

  // score_sde's second network input ("labels"): sigma(t) or a ladder index for VE, 999 t or (N - 1) t otherwise.
  at::Tensor time_input(const at::Tensor& t_in) const {
    at::Tensor t = t_in.to(at::kFloat);
    const auto last = static_cast<double>(sde_->N() - 1);
    if (ve_) {
      if (continuous_) return sde_->marginal_std(t).to(at::kFloat);
      return at::round((1.0 - t / sde_->T()) * last).clamp(0.0, last);
    }
    return continuous_ ? t * 999.0 : t * last;
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    at::Tensor labels = time_input(t).to(x.device());
    at::Tensor features = cfg_.fourier ? all_modules_->ptr(0)->as<ncsnpp::FourierProjectionImpl>()->forward(at::log(labels))
                                       : ncsnpp::positional_embedding(labels, cfg_.nf);
    at::Tensor extra;
    if (class_conditional_ && y.defined()) extra = label_embedding_(y);
    at::Tensor out = body_->forward(x, features.to(x.scalar_type()), extra);
    if (scale_by_sigma_) {
      // Fourier: labels are sigma(t); positional: labels index the noise table.
      at::Tensor sigma = cfg_.fourier ? labels : sigmas_.index_select(0, labels.to(at::kLong));
      out = out / batch_view(sigma.to(out.scalar_type()), out);
    }
    return out;
  }

  // score_sde's get_score_fn: the VE output is the score; VP and sub-VP outputs are the noise (score = -out / std).
  Prediction predicts() const override { return ve_ ? Prediction::Score : Prediction::Noise; }
  // Discrete VP: score_sde's get_score_fn divides by the chain's sqrt(1 - alpha_bar_i), i = long((N - 1) t), with
  // alpha_bar the float32 cumulative product of 1 - beta_i (Ho et al. 2020, eq. 4), not the continuous kernel's std.
  at::Tensor noise_std(const at::Tensor& t) const override {
    if (ve_ || continuous_) return {};
    const at::Tensor alpha_bar = at::cumprod(1.0 - sde_->discrete_betas().to(at::kFloat), 0).to(t.device());
    return at::sqrt(1.0 - alpha_bar.index_select(0, time_input(t).to(t.device()).to(at::kLong))).to(t.scalar_type());
  }
  bool class_conditional() const override { return class_conditional_; }
  std::vector<std::int64_t> example_shape() const override { return shape_; }
  std::pair<double, double> example_range() const override {
    return cfg_.centered ? std::pair<double, double>{-1.0, 1.0} : std::pair<double, double>{0.0, 1.0};
  }

 private:
  std::shared_ptr<Sde> sde_;
  ncsnpp::Config cfg_;
  bool continuous_, scale_by_sigma_, class_conditional_, ve_ = false;
  std::vector<std::int64_t> shape_;
  torch::nn::ModuleList all_modules_{nullptr};
  std::unique_ptr<ncsnpp::Body> body_;
  torch::nn::Embedding label_embedding_{nullptr};
  at::Tensor sigmas_;
};

template <class D>
class ScoreSdeNetwork : public NcsnppNetwork {
 public:
  struct Settings {
    std::int64_t nf = 128, num_res_blocks = 4;
    std::vector<std::int64_t> ch_mult{1, 2, 2, 2}, attn_resolutions{16}, fir_kernel{1, 3, 3, 1}, shape{};
    double dropout = 0.1, fourier_scale = 16.0, init_scale = 0.0;
    bool fir = D::fir, skip_rescale = true, scale_by_sigma = D::scale_by_sigma, centered = D::centered,
         continuous = true, class_conditional = false;
    std::string resblock_type = "biggan", progressive = "none", progressive_input = D::progressive_input,
                progressive_combine = "sum", embedding_type = D::embedding_type;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::nf, "nf", "base width: channels at the first level, time embedding 4 nf (multiple of 2)")
        .at_least(2).at_most(4096);
    d(&Settings::ch_mult, "ch_mult", "width multiplier of each resolution level (the image halves between levels)")
        .at_least(1).at_most(64);
    d(&Settings::num_res_blocks, "num_res_blocks", "residual blocks per level (4 in the paper, 8 for \"deep\")")
        .at_least(1).at_most(64);
    d(&Settings::attn_resolutions, "attn_resolutions", "resolutions (pixels) with self-attention after each block")
        .at_least(1);
    d(&Settings::dropout, "dropout", "dropout in the residual blocks (training only)").at_least(0).below(1);
    d(&Settings::fir, "fir", "FIR [1,3,3,1] up/downsampling (app. H, after StyleGAN2) instead of nearest/average");
    d(&Settings::fir_kernel, "fir_kernel", "FIR kernel (only [1, 3, 3, 1] is supported)").at_least(1);
    d(&Settings::skip_rescale, "skip_rescale", "rescale skip connections by 1/sqrt(2) (app. H)");
    d(&Settings::resblock_type, "resblock_type", "residual blocks: BigGAN-type (resampling inside the block)")
        .one_of({"biggan", "ddpm"});
    d(&Settings::progressive, "progressive",
      "progressive output path (app. H): none, or output_skip (sum of upsampled per-level outputs)")
        .one_of({"none", "output_skip", "residual"});
    d(&Settings::progressive_input, "progressive_input",
      "progressive input path (app. H): none, input_skip (downsampled image combined per level), residual "
      "(downsampling convs summed into each level)")
        .one_of({"none", "input_skip", "residual"});
    d(&Settings::progressive_combine, "progressive_combine", "how input_skip joins the image features: sum or cat")
        .one_of({"sum", "cat"});
    d(&Settings::embedding_type, "embedding_type",
      "time features: Gaussian Fourier of log sigma (continuous VE) or positional (sinusoidal) of the time input")
        .one_of({"fourier", "positional"});
    d(&Settings::fourier_scale, "fourier_scale", "std of the fixed random Fourier frequencies").above(0);
    d(&Settings::scale_by_sigma, "scale_by_sigma", "divide the output by the noise level (VE: the output is the score)");
    d(&Settings::centered, "centered", "data in [-1, 1]; false: data in [0, 1], mapped to 2x - 1 first");
    d(&Settings::continuous, "continuous",
      "trained in continuous time: the time input is sigma(t) (VE) or 999 t; false: the ladder index (VE) or (N-1) t");
    d(&Settings::init_scale, "init_scale", "initial scale of the last layer of each block (0: 1e-10)").at_least(0);
    d(&Settings::class_conditional, "class_conditional",
      "add a learned class embedding to the time embedding (labelled data)");
    d(&Settings::shape, "shape", "one example [C, H, W] when the pipeline has no [data] (an imported model); empty: "
                                 "[data]'s shape").at_least(1);
  }

  ScoreSdeNetwork(const Settings& s, const Options& o, const BuildContext& ctx)
      : NcsnppNetwork(resolve(s, o, ctx), ctx) {}

 private:
  static Resolved resolve(const Settings& s, const Options& o, const BuildContext& ctx) {
    if (!ctx.sde) o.fail("plugin", "needs the pipeline's [sde]");
    if (!s.shape.empty() && !ctx.data_shape.empty() && s.shape != ctx.data_shape)
      o.fail("shape", fmt::format("[{}] is not the [data]'s shape [{}]", fmt::join(s.shape, ", "),
                                  fmt::join(ctx.data_shape, ", ")));
    const std::vector<std::int64_t> shape = s.shape.empty() ? ctx.data_shape : s.shape;
    if (shape.size() != 3)
      o.fail(s.shape.empty() ? "plugin" : "shape", "needs image data [C, H, W] (in [data], or the shape option)");
    const std::int64_t c = shape[0], res = shape[1];
    if (shape[2] != res) o.fail("plugin", fmt::format("needs square images; the data are {} x {}", res, shape[2]));
    if (s.nf % 2) o.fail("nf", "must be even (the time features have nf or 2 nf entries)");
    if (s.ch_mult.empty()) o.fail("ch_mult", "needs at least one level");
    if (s.nf * *std::min_element(s.ch_mult.begin(), s.ch_mult.end()) < 4)
      o.fail("nf", "every level needs at least 4 channels (GroupNorm uses width / 4 groups)");
    std::vector<std::int64_t> levels;
    for (std::size_t i = 0, r = res; i < s.ch_mult.size(); ++i, r /= 2) {
      if (i + 1 < s.ch_mult.size() && r % 2)
        o.fail("ch_mult", fmt::format("{} levels need an image size that halves evenly {} times; {} does not",
                                      s.ch_mult.size(), s.ch_mult.size() - 1, res));
      levels.push_back(static_cast<std::int64_t>(r));
    }
    for (auto r : s.attn_resolutions)
      if (std::find(levels.begin(), levels.end(), r) == levels.end())
        o.fail("attn_resolutions",
               fmt::format("{} matches no level of this network (its resolutions are {})", r, fmt::join(levels, ", ")));
    if (s.fir && s.fir_kernel != std::vector<std::int64_t>{1, 3, 3, 1})
      o.fail("fir_kernel", "only [1, 3, 3, 1] is supported (the kernel of every published config)");
    if (s.resblock_type != "biggan")
      o.fail("resblock_type", "only \"biggan\" is supported (\"ddpm\" blocks are in no published NCSN++ config)");
    if (s.progressive == "residual")
      o.fail("progressive", "\"residual\" is not supported (it is in no published config); use none or output_skip");
    if (s.progressive_combine == "cat" && s.progressive_input != "input_skip")
      o.fail("progressive_combine", "\"cat\" applies to progressive_input = \"input_skip\" only");
    const bool ve = ctx.sde->noise_conditioning() == NoiseConditioning::LogSigma;
    if (s.embedding_type == "fourier" && !s.continuous)
      o.fail("embedding_type", "Fourier features need continuous = true (score_sde trains them in continuous time only)");
    if (s.scale_by_sigma && !ve)
      o.fail("scale_by_sigma", "divides by the VE noise level; this [sde] is not variance-exploding");
    if (s.scale_by_sigma && s.embedding_type == "positional" && s.continuous)
      o.fail("scale_by_sigma", "with positional features it indexes the noise ladder, which needs continuous = false");
    Resolved r;
    r.shape = s.shape;
    r.config.channels = c;
    r.config.resolution = res;
    r.config.nf = s.nf;
    r.config.num_res_blocks = s.num_res_blocks;
    r.config.ch_mult = s.ch_mult;
    r.config.attn_resolutions = s.attn_resolutions;
    r.config.dropout = s.dropout;
    r.config.fourier_scale = s.fourier_scale;
    r.config.init_scale = s.init_scale;
    r.config.fir = s.fir;
    r.config.skip_rescale = s.skip_rescale;
    r.config.centered = s.centered;
    r.config.fourier = s.embedding_type == "fourier";
    r.config.progressive = s.progressive;
    r.config.progressive_input = s.progressive_input;
    r.config.progressive_combine = s.progressive_combine;
    r.continuous = s.continuous;
    r.scale_by_sigma = s.scale_by_sigma;
    if (s.class_conditional) {
      if (ctx.num_classes < 1) o.fail("class_conditional", "the [data] set has no class labels");
      r.class_conditional = true;
      r.num_classes = ctx.num_classes;
    }
    return r;
  }
};

}  // namespace

SCOREGEN_PLUGIN(Network, "ncsnpp",
                "NCSN++ (Song et al. 2021, app. H): FIR resampling, BigGAN blocks, progressive input, Fourier time "
                "features; loads score_sde_pytorch checkpoints",
                ScoreSdeNetwork<NcsnppDefaults>);
SCOREGEN_PLUGIN(Network, "ddpmpp",
                "DDPM++ (Song et al. 2021, app. H): the NCSN++ network without FIR or progressive paths, positional "
                "time features; loads score_sde_pytorch checkpoints",
                ScoreSdeNetwork<DdpmppDefaults>);

}  // namespace scoregen::plugins
