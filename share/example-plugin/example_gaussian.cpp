// Example third-party plugin: the exact score of Gaussian data N(0, data_std^2 I) diffused by any SDE,
// score(x, t) = -x / (a(t)^2 data_std^2 + s(t)^2). docs/plugins.md walks through it.
#include <ATen/ATen.h>

#include <scoregen/network.hpp>
#include <scoregen/sde.hpp>

namespace example {

class ExampleGaussian : public scoregen::Network {
 public:
  // Each option is declared once: bound to its member, with its help text and range; the default is the
  // member's initial value. The host validates pipelines against it and `plugins info` prints it.
  struct Settings {
    std::int64_t dim = 2;
    double data_std = 1.0;
  };
  static void declare(scoregen::Declaration<Settings>& d) {
    d(&Settings::dim, "dim", "data dimension").at_least(1);
    d(&Settings::data_std, "data_std", "standard deviation of the data").above(0);
  }
  ExampleGaussian(const Settings& s, const scoregen::BuildContext& ctx) : dim_(s.dim), data_std_(s.data_std), sde_(ctx.sde) {}

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor&) override {
    at::Tensor a = sde_->mean_coeff(t), s = sde_->marginal_std(t);
    // Var_t = a^2 data_std^2 + s^2
    return -x / scoregen::batch_view(a * a * data_std_ * data_std_ + s * s, x);
  }
  scoregen::Prediction predicts() const override { return scoregen::Prediction::Score; }
  bool trainable() const override { return false; }
  std::vector<std::int64_t> example_shape() const override { return {dim_}; }

 private:
  std::int64_t dim_;
  double data_std_;
  std::shared_ptr<scoregen::Sde> sde_;
};

SCOREGEN_PLUGIN(Network, "example-gaussian", "example out-of-tree plugin: exact score of N(0, data_std^2 I) data",
                ExampleGaussian);

}  // namespace example
