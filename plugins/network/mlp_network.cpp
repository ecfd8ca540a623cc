// MLP score network for low-dimensional data, conditioned on time by sinusoidal or Fourier features.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"
#include "scoregen/time_embedding.hpp"

namespace scoregen::plugins {

class MlpNetwork : public Network {
 public:
  struct Settings {
    std::int64_t width = 128, depth = 3;
    std::string activation = "silu", embedding = "auto";
    std::int64_t embed_dim = 32;
    double fourier_scale = 16.0;
    std::string predicts = "noise";
    bool scale_by_sigma = false, conditional = false;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::width, "width", "hidden units per layer").at_least(1);
    d(&Settings::depth, "depth", "hidden layers").at_least(1);
    d(&Settings::activation, "activation", "nonlinearity").one_of({"silu", "relu", "softplus", "elu", "tanh"});
    d(&Settings::embedding, "embedding",
      "time embedding: sinusoidal of 1000 t, Fourier of log sigma(t), or auto (what the SDE conditions on: Fourier for "
      "VE, sinusoidal otherwise)")
        .one_of({"auto", "sinusoidal", "fourier"});
    d(&Settings::embed_dim, "embed_dim", "time-embedding size (even)").at_least(2);
    d(&Settings::fourier_scale, "fourier_scale", "std of the Fourier frequencies").above(0);
    d(&Settings::predicts, "predicts", "what the output means").one_of({"score", "noise", "data"});
    d(&Settings::scale_by_sigma, "scale_by_sigma", "divide the output by sigma(t) (score prediction, NCSNv2)");
    d(&Settings::conditional, "conditional", "add a class embedding (labelled data)");
  }

  MlpNetwork(const Settings& s, const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), shape_(ctx.data_shape), predicts_(parse_prediction(s.predicts)), activation_(s.activation),
        embedding_(s.embedding), scale_by_sigma_(s.scale_by_sigma), embed_dim_(s.embed_dim) {
    if (shape_.empty()) throw Error("the mlp network needs a [data] section to know its input size");
    if (embed_dim_ % 2) o.fail("embed_dim", "must be an even number");
    std::int64_t dim = 1;
    for (auto d : shape_) dim *= d;
    if (embedding_ == "auto")
      embedding_ = sde_->noise_conditioning() == NoiseConditioning::LogSigma ? "fourier" : "sinusoidal";
    if (embedding_ == "fourier") {
      // Fixed random frequencies W ~ N(0, scale^2) (GaussianFourierProjection), part of the checkpoint.
      fourier_w_ = register_buffer("fourier_w", at::randn({embed_dim_ / 2}) * s.fourier_scale);
    }
    if (s.conditional) {
      if (ctx.num_classes < 1) o.fail("conditional", "the [data] set has no class labels");
      classes_ = register_module("classes", torch::nn::Embedding(ctx.num_classes, embed_dim_));
    }
    torch::nn::ModuleList layers;
    std::int64_t in = dim + embed_dim_;
    for (std::int64_t i = 0; i < s.depth; ++i) {
      layers->push_back(torch::nn::Linear(in, s.width));
      in = s.width;
    }
    hidden_ = register_module("hidden", layers);
    out_ = register_module("out", torch::nn::Linear(s.width, dim));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    at::Tensor tf = t.to(x.scalar_type());
    at::Tensor std = sde_->marginal_std(tf);
    at::Tensor e = embedding_ == "fourier" ? fourier_embedding(at::log(std), fourier_w_.to(x.scalar_type()))
                                           : sinusoidal_embedding(tf * 1000.0, embed_dim_);
    if (!classes_.is_empty() && y.defined()) e = e + classes_->forward(y);
    at::Tensor h = at::cat({x.flatten(1), e}, 1);
    for (const auto& layer : *hidden_) h = activate(layer->as<torch::nn::Linear>()->forward(h));
    at::Tensor out = out_->forward(h).reshape_as(x);
    // NCSNv2 / NCSN++ scale_by_sigma: s = output / sigma
    if (scale_by_sigma_) out = out / batch_view(std, out);
    return out;
  }

  Prediction predicts() const override { return predicts_; }
  bool class_conditional() const override { return !classes_.is_empty(); }

 private:
  at::Tensor activate(const at::Tensor& h) const {
    if (activation_ == "relu") return at::relu(h);
    if (activation_ == "softplus") return at::softplus(h);
    if (activation_ == "elu") return at::elu(h);
    if (activation_ == "tanh") return at::tanh(h);
    return at::silu(h);
  }
  std::shared_ptr<Sde> sde_;
  std::vector<std::int64_t> shape_;
  Prediction predicts_;
  std::string activation_, embedding_;
  bool scale_by_sigma_;
  std::int64_t embed_dim_ = 0;
  at::Tensor fourier_w_;
  torch::nn::ModuleList hidden_{nullptr};
  torch::nn::Linear out_{nullptr};
  torch::nn::Embedding classes_{nullptr};
};

SCOREGEN_PLUGIN(Network, "mlp", "MLP for low-dimensional data, time by sinusoidal features of t or Fourier features of log sigma",
                MlpNetwork);

}  // namespace scoregen::plugins
