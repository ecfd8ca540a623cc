// The exact class posterior of the gaussian-mixture oracle (class = component): grad_x log p_t(k | x).
#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/gaussian_mixture.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class MixturePosteriorGuidance : public Guidance {
 public:
  struct Settings : MixtureSettings {};
  static void declare(Declaration<Settings>& d) { declare_mixture(d, true); }
  MixturePosteriorGuidance(const Settings& s, const Options& o, const BuildContext& ctx) : mixture_(s, o), sde_(ctx.sde) {
    if (!sde_) throw Error("mixture-posterior guidance needs the pipeline's [sde]");
  }
  at::Tensor grad_log_prob(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    if ((y < 0).any().item<bool>() || (y >= mixture_.components()).any().item<bool>())
      throw Error(fmt::format("class labels must be in 0..{} (the mixture's components)", mixture_.components() - 1));
    return mixture_.grad_log_posterior(x, sde_->mean_coeff(t), sde_->marginal_std(t), y);
  }
  at::Tensor logits(const at::Tensor& x, const at::Tensor& t) override {
    // log p_t(k | x) up to a constant: the joint log-densities
    return mixture_.joint_log_prob(x, sde_->mean_coeff(t), sde_->marginal_std(t)).to(x.scalar_type());
  }
  std::int64_t num_classes() const override { return mixture_.components(); }

 private:
  GaussianMixture mixture_;
  std::shared_ptr<Sde> sde_;
};

SCOREGEN_PLUGIN(Guidance, "mixture-posterior", "exact class posterior p_t(k | x) of a Gaussian mixture (class = component)",
                MixturePosteriorGuidance);

}  // namespace scoregen::plugins
