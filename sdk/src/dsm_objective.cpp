// Denoising score matching (seed 001 eq. 7; score_sde losses.get_sde_loss_fn), its NCSN and DDPM forms.
#include <fmt/format.h>

#include "scoregen/objective.hpp"

namespace scoregen {

using namespace objective_detail;

class DsmObjective : public Objective {
 public:
  DsmObjective(std::shared_ptr<Sde> sde, bool likelihood, bool half_sum, std::string name)
      : sde_(std::move(sde)), likelihood_(likelihood), half_sum_(half_sum), name_(std::move(name)) {}

  at::Tensor loss(Network& network, const Batch& batch, at::Generator gen) override {
    const at::Tensor& x0 = batch.x;
    Perturbed p = perturb(*sde_, x0, gen);
    const at::Tensor &t = p.t, &z = p.z;
    at::Tensor std = batch_view(p.std, x0);
    at::Tensor score = score_of(network, *sde_, p.xt, t, batch.y);
    if (likelihood_) {
      // likelihood weighting: |s + z/std|^2 g(t)^2
      at::Tensor g2 = sde_->diffusion(t).pow(2);
      return (reduce((score + z / std).pow(2), half_sum_) * g2).mean();
    }
    // lambda = sigma^2: |std s + z|^2
    return reduce((std * score + z).pow(2), half_sum_).mean();
  }

  std::string describe() const override {
    return fmt::format("{} ({} weighting, {})", name_, likelihood_ ? "likelihood g^2" : "sigma^2",
                       half_sum_ ? "1/2 sum over dimensions" : "mean over dimensions");
  }

 private:
  std::shared_ptr<Sde> sde_;
  bool likelihood_, half_sum_;
  std::string name_;
};

std::unique_ptr<Objective> make_dsm_objective(std::shared_ptr<Sde> sde, bool likelihood, bool half_sum, std::string name) {
  return std::make_unique<DsmObjective>(std::move(sde), likelihood, half_sum, std::move(name));
}

}  // namespace scoregen
