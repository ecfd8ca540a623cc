// Example third-party plugin: the exact score of Gaussian data N(0, data_std^2 I) diffused by any SDE,
// score(x, t) = -x / (a(t)^2 data_std^2 + s(t)^2).
#include <scoregen/network.hpp>
#include <scoregen/sde.hpp>

namespace example {

class ExampleGaussian : public scoregen::Network {
 public:
  ExampleGaussian(const scoregen::Options& o, const scoregen::BuildContext& ctx)
      : dim_(o.integer("dim")), data_std_(o.real("data_std")), sde_(ctx.sde) {
    if (dim_ < 1) o.fail("dim", "must be >= 1");
    if (!(data_std_ > 0)) o.fail("data_std", "must be > 0");
  }
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
                ExampleGaussian, scoregen::opt::integer("dim", 2, "data dimension"),
                scoregen::opt::real("data_std", 1.0, "standard deviation of the data"));

}  // namespace example
