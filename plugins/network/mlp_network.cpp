// MLP score network for low-dimensional data, conditioned on time by sinusoidal or Fourier features.
#include <fmt/format.h>
#include <torch/nn.h>

#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"
#include "scoregen/time_embedding.hpp"

namespace scoregen::plugins {

class MlpNetwork : public Network {
 public:
  MlpNetwork(const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), shape_(ctx.data_shape), predicts_(parse_prediction(o.string("predicts"))),
        activation_(o.string("activation")), embedding_(o.string("embedding")),
        scale_by_sigma_(o.boolean("scale_by_sigma")) {
    if (shape_.empty()) throw Error("the mlp network needs a [data] section to know its input size");
    std::int64_t dim = 1;
    for (auto d : shape_) dim *= d;
    const std::int64_t width = o.integer("width"), depth = o.integer("depth"), emb = o.integer("embed_dim");
    if (width < 1) o.fail("width", "must be >= 1");
    if (depth < 1) o.fail("depth", "must be >= 1");
    if (emb < 2 || emb % 2) o.fail("embed_dim", "must be an even number >= 2");
    if (embedding_ == "auto") embedding_ = sde_->family() == SdeFamily::VE ? "fourier" : "sinusoidal";
    embed_dim_ = emb;
    if (embedding_ == "fourier") {
      // Fixed random frequencies W ~ N(0, scale^2) (GaussianFourierProjection), part of the checkpoint.
      fourier_w_ = register_buffer("fourier_w", at::randn({emb / 2}) * o.real("fourier_scale"));
    }
    if (o.boolean("conditional")) {
      if (ctx.num_classes < 1) o.fail("conditional", "the [data] set has no class labels");
      classes_ = register_module("classes", torch::nn::Embedding(ctx.num_classes, emb));
    }
    torch::nn::ModuleList layers;
    std::int64_t in = dim + emb;
    for (std::int64_t i = 0; i < depth; ++i) {
      layers->push_back(torch::nn::Linear(in, width));
      in = width;
    }
    hidden_ = register_module("hidden", layers);
    out_ = register_module("out", torch::nn::Linear(width, dim));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    const auto b = x.size(0);
    at::Tensor tf = t.to(x.scalar_type());
    at::Tensor std = sde_->marginal_std(tf);
    at::Tensor e = embedding_ == "fourier" ? fourier_embedding(at::log(std), fourier_w_.to(x.scalar_type()))
                                           : sinusoidal_embedding(tf * 1000.0, embed_dim_);
    if (!classes_.is_empty() && y.defined()) e = e + classes_->forward(y);
    at::Tensor h = at::cat({x.reshape({b, -1}), e}, 1);
    for (const auto& layer : *hidden_) h = activate(layer->as<torch::nn::Linear>()->forward(h));
    at::Tensor out = out_->forward(h).reshape(x.sizes());
    // NCSNv2 / NCSN++ scale_by_sigma: s = output / sigma
    if (scale_by_sigma_) out = out / batch_view(std, out);
    return out;
  }

  Prediction predicts() const override { return predicts_; }

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
                MlpNetwork, opt::integer("width", 128, "hidden units per layer"),
                opt::integer("depth", 3, "hidden layers"),
                opt::string("activation", "silu", "nonlinearity", {"silu", "relu", "softplus", "elu", "tanh"}),
                opt::string("embedding", "auto", "time embedding: sinusoidal of 1000 t, Fourier of log sigma(t), or auto "
                            "(Fourier for VE, sinusoidal otherwise)", {"auto", "sinusoidal", "fourier"}),
                opt::integer("embed_dim", 32, "time-embedding size (even)"),
                opt::real("fourier_scale", 16.0, "std of the Fourier frequencies"),
                opt::string("predicts", "noise", "what the output means", {"score", "noise", "data"}),
                opt::boolean("scale_by_sigma", false, "divide the output by sigma(t) (score prediction, NCSNv2)"),
                opt::boolean("conditional", false, "add a class embedding (labelled data)"));

}  // namespace scoregen::plugins
