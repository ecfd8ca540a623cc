// The analytic oracle: the exact score of a Gaussian mixture diffused by the pipeline's SDE (no weights).
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/gaussian_mixture.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class GaussianMixtureNetwork : public Network {
 public:
  struct Settings : MixtureSettings {};
  static void declare(Declaration<Settings>& d) { declare_mixture(d, true); }
  GaussianMixtureNetwork(const Settings& s, const Options& o, const BuildContext& ctx) : mixture_(s, o), sde_(ctx.sde) {
    if (!sde_) throw Error("the gaussian-mixture oracle needs the pipeline's [sde]");
    std::int64_t d = 1;
    for (auto v : ctx.data_shape) d *= v;
    if (!ctx.data_shape.empty() && d != mixture_.dim())
      o.fail("means", fmt::format("the mixture has {} dimensions but the [data] examples have {}", mixture_.dim(), d));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor&) override {
    // Exact score of p_t = sum_k w_k N(a(t) mu_k, (a(t)^2 s_k^2 + std(t)^2) I)
    return mixture_.score(x, sde_->mean_coeff(t), sde_->marginal_std(t));
  }
  Prediction predicts() const override { return Prediction::Score; }
  bool trainable() const override { return false; }
  std::vector<std::int64_t> example_shape() const override { return {mixture_.dim()}; }

 private:
  GaussianMixture mixture_;
  std::shared_ptr<Sde> sde_;
};

SCOREGEN_PLUGIN(Network, "gaussian-mixture",
                "analytic oracle: exact score of a Gaussian mixture diffused by the pipeline's SDE (nothing to train)",
                GaussianMixtureNetwork);

}  // namespace scoregen::plugins
