// A consistency function f(x, sigma) (Song et al. 2023) around any score network of this toolkit: the boundary
// parameterisation f = c_skip x_hat + c_out F, with F the EDM-normalised output of the inner network's denoiser, so
// that f(x, sigma_min) = x holds exactly and a trained score network's weights start the student
// (docs/formulas.md "Consistency models").
#include <fmt/format.h>

#include "scoregen/consistency.hpp"
#include "scoregen/edm.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class ConsistencyNetwork : public Network {
 public:
  struct Settings {
    std::string network = "unet";
    double sigma_data = 0.5;
    RealOrAuto sigma_max{0.0, true};
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::network, "network", "the inner score network F (its options go in this table too)")
        .names_plugin(PluginKind::Network, false);
    d(&Settings::sigma_data, "sigma_data", "the data's standard deviation in c_skip and c_out (0.5 for pixels in "
                                           "[-1, 1], Karras et al. 2022)").above(0);
    d(&Settings::sigma_max, "sigma_max", "the largest noise level: training's levels end and sampling starts there, "
                                         "from sigma_max z; auto: sigma(T), the SDE's prior").above(0);
  }

  ConsistencyNetwork(const Settings& s, const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), sigma_data_(s.sigma_data) {
    if (s.network == "consistency") o.fail("network", "a consistency network cannot wrap another one");
    inner_ = ctx.build<Network>(PluginKind::Network, o, "network");
    if (!inner_->trainable()) o.fail("network", fmt::format("'{}' has nothing to train", s.network));
    register_module("inner", std::static_pointer_cast<torch::nn::Module>(inner_));
    sigma_min_ = consistency::sigma_min_of(*sde_);
    const double prior = edm::sigma_of_t(*sde_, sde_->T());
    sigma_max_ = s.sigma_max.automatic ? prior : s.sigma_max.value;
    if (sigma_max_ <= sigma_min_ || sigma_max_ > prior)
      o.fail("sigma_max", fmt::format("must lie in (sigma(eps), sigma(T)] = ({:.4g}, {:.4g}]", sigma_min_, prior));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    at::Tensor a = sde_->mean_coeff(t.to(x.scalar_type())), s = sde_->marginal_std(t.to(x.scalar_type()));
    at::Tensor out = inner_->forward(x, t, y);
    // the inner network's denoiser D = (x + s^2 score) / a (Tweedie's formula, in x_hat = x / a)
    at::Tensor denoised = from_score(Prediction::Data, score_from_output(*inner_, *sde_, out, x, t), x, a, s);
    return consistency::boundary(x / batch_view(a, x), denoised, consistency::sigma_at(*sde_, t), sigma_min_, sigma_data_);
  }

  Prediction predicts() const override { return Prediction::Data; }
  std::vector<std::int64_t> example_shape() const override { return inner_->example_shape(); }
  std::pair<double, double> example_range() const override { return inner_->example_range(); }
  bool class_conditional() const override { return inner_->class_conditional(); }
  double consistency_sigma_min() const override { return sigma_min_; }
  double consistency_sigma_max() const override { return sigma_max_; }

 private:
  std::shared_ptr<Sde> sde_;
  std::shared_ptr<Network> inner_;
  double sigma_data_, sigma_min_ = 0, sigma_max_ = 0;
};

SCOREGEN_PLUGIN(Network, "consistency",
                "consistency function f(x, sigma) = c_skip x + c_out F around an inner score network (one- and few-step "
                "sampling; train with consistency-distillation or consistency-training)",
                ConsistencyNetwork);

}  // namespace scoregen::plugins
