// What every objective shares: training times, the perturbation kernel, reductions, the network's output as a
// score, and the denoising score-matching loss.
#include "scoregen/objective.hpp"

#include <ATen/ATen.h>

#include "scoregen/network.hpp"
#include "scoregen/parameterization.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::objective {

at::Tensor sample_times(const Sde& sde, BatchRandom& rng, const at::TensorOptions& opts) {
  if (sde.is_discrete()) {
    // NCSN: sigma index uniform over the ladder; DDPM: t uniform over {1..N} (here the grid t_i = i T / (N - 1)).
    at::Tensor i = rng.integers(sde.N());
    return (i.to(at::kDouble) * (sde.T() / static_cast<double>(sde.N() - 1))).to(opts);
  }
  // t ~ U(eps, T) (Song et al. 2021, eq. 7, with the time epsilon of docs/formulas.md)
  at::Tensor u = rng.uniform({}, at::kDouble);
  return (u * (sde.T() - sde.train_eps()) + sde.train_eps()).to(opts);
}

Perturbed perturb(const Sde& sde, const at::Tensor& x0, BatchRandom& rng) {
  Perturbed p;
  p.t = sample_times(sde, rng, x0.options());
  p.z = rng.normal_like(x0);
  p.std = sde.marginal_std(p.t);
  // x_t = a(t) x0 + s(t) z, the perturbation kernel p_0t (Song et al. 2021, eq. 7)
  p.xt = batch_view(sde.mean_coeff(p.t), x0) * x0 + batch_view(p.std, x0) * p.z;
  return p;
}

at::Tensor reduce(const at::Tensor& per_dim, bool half_sum) {
  at::Tensor flat = per_dim.reshape({per_dim.size(0), -1});
  return half_sum ? 0.5 * flat.sum(1) : flat.mean(1);
}

at::Tensor score_of(Network& network, const Sde& sde, const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) {
  return score_from_output(network, sde, network.forward(x, t, y), x, t);
}

at::Tensor dsm_loss(Network& network, const Sde& sde, const Batch& batch, BatchRandom& rng, DsmWeighting weighting,
                    DsmReduction reduction) {
  const bool half_sum = reduction == DsmReduction::HalfSum;
  const at::Tensor& x0 = batch.x;
  Perturbed p = perturb(sde, x0, rng);
  at::Tensor std = batch_view(p.std, x0);
  at::Tensor score = score_of(network, sde, p.xt, p.t, batch.y);
  if (weighting == DsmWeighting::Likelihood) {
    // lambda = g(t)^2: g^2 |s + z / std|^2 (Song et al. 2021, app. D; "likelihood weighting")
    at::Tensor g2 = sde.diffusion(p.t).pow(2);
    return (reduce((score + p.z / std).pow(2), half_sum) * g2).mean();
  }
  // lambda = sigma^2: |std s + z|^2 (Song et al. 2021, eq. 7 with lambda = sigma^2)
  return reduce((std * score + p.z).pow(2), half_sum).mean();
}

}  // namespace scoregen::objective
