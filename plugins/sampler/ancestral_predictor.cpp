// Ancestral sampling of the discrete chains (seed 001 eq. 47; sampling.AncestralSamplingPredictor).
#include <fmt/format.h>

#include "pc_steps.hpp"
#include "scoregen/error.hpp"

namespace scoregen::plugins {

class AncestralPredictor : public Predictor {
 public:
  Step step(ScoreModel& model, const at::Tensor& x, const at::Tensor& t, at::Generator& gen) override {
    Sde& sde = model.sde();
    at::Tensor i = sde.timestep(t);
    at::Tensor s = model.score(x, t);
    if (sde.family() == SdeFamily::VE) {
      at::Tensor sigmas = sde.discrete_sigmas().to(x.options());
      at::Tensor sigma = sigmas.index_select(0, i);
      at::Tensor prev = at::where(i == 0, at::zeros_like(sigma), sigmas.index_select(0, (i - 1).clamp_min(0)));
      // x_mean = x + (sigma_i^2 - sigma_{i-1}^2) s;  std = sqrt(sigma_{i-1}^2 (sigma_i^2 - sigma_{i-1}^2) / sigma_i^2)
      at::Tensor var_step = batch_view(sigma * sigma - prev * prev, x);
      at::Tensor mean = x + var_step * s;
      at::Tensor std = at::sqrt(batch_view(prev * prev, x) * var_step / batch_view(sigma * sigma, x));
      return {mean + std * noise_like(x, gen), mean};
    }
    at::Tensor beta = batch_view(sde.discrete_betas().to(x.options()).index_select(0, i), x);
    // x_mean = (x + beta_i s) / sqrt(1 - beta_i);  x = x_mean + sqrt(beta_i) z
    at::Tensor mean = (x + beta * s) / at::sqrt(1.0 - beta);
    return {mean + at::sqrt(beta) * noise_like(x, gen), mean};
  }
};

std::unique_ptr<Predictor> make_ancestral(const Sde& sde) {
  if (sde.family() == SdeFamily::SubVP)
    throw Error("the ancestral predictor needs a VE or VP SDE (sub-VP has no discrete chain); use reverse-diffusion");
  if (sde.family() == SdeFamily::VP && sde.discrete_betas().max().item<double>() >= 1.0)
    throw Error("the ancestral predictor needs every beta_i = beta(t_i) / N below 1: raise [sde] N");
  return std::make_unique<AncestralPredictor>();
}

}  // namespace scoregen::plugins
