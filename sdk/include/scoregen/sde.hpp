// The forward process dx = f(x,t) dt + g(t) dW on [0, T] (Song et al. 2021, eq. 5), its perturbation kernel and
// prior, and the questions samplers, objectives and networks ask of it instead of asking for its family.
#pragma once

#include <cstdint>
#include <utility>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/plugin.hpp"

namespace scoregen {

// What a network should condition on by default: t itself (DDPM's sinusoidal features of 1000 t) or the noise
// level log sigma(t) (NCSN++'s Fourier features, natural for variance-exploding processes).
enum class NoiseConditioning { Time, LogSigma };

// One ancestral step of a discrete chain from t_i to t_{i-1}: x_{i-1} = mean + std z.
struct AncestralStep {
  at::Tensor mean, std;  // std: [B]
};

class SCOREGEN_API Sde : public Component {
 public:
  virtual double T() const { return 1.0; }
  // Number of discretisation steps (reverse diffusion, ancestral sampling, discrete schedules).
  virtual std::int64_t N() const = 0;
  // f(x, t): same shape as x; t has shape [B].
  virtual at::Tensor drift(const at::Tensor& x, const at::Tensor& t) const = 0;
  // g(t): shape [B].
  virtual at::Tensor diffusion(const at::Tensor& t) const = 0;
  // Perturbation kernel p_0t(x_t | x_0) = N(a(t) x_0, s(t)^2 I): a(t) and s(t), shape [B].
  virtual at::Tensor mean_coeff(const at::Tensor& t) const = 0;
  virtual at::Tensor marginal_std(const at::Tensor& t) const = 0;
  // Std of the prior N(0, prior_std^2 I) at time T.
  virtual double prior_std() const = 0;
  // Discretisation x_{i+1} = x_i + f_i + G_i z (score_sde_pytorch sde_lib.SDE.discretize): returns {f_i, G_i [B]}.
  virtual std::pair<at::Tensor, at::Tensor> discretize(const at::Tensor& x, const at::Tensor& t) const;
  // Time epsilons (docs/formulas.md "Time epsilons"): training t ~ U(train_eps, T); sampling ends at sample_eps.
  virtual double train_eps() const { return 1e-5; }
  virtual double sample_eps() const = 0;
  virtual double likelihood_eps() const { return 1e-5; }
  // True for the SMLD ladder and the DDPM chain: t only takes the N grid values.
  virtual bool is_discrete() const { return false; }

  // Capabilities. Discrete schedules indexed by i = round(t (N-1) / T): the ascending noise ladder sigma_i of a
  // variance-exploding process (annealed Langevin, the ncsn objective), the betas of a variance-preserving chain
  // (the ddpm objective). Undefined tensors when the process has none.
  virtual at::Tensor discrete_sigmas() const;
  virtual at::Tensor discrete_betas() const;
  virtual NoiseConditioning noise_conditioning() const { return NoiseConditioning::Time; }
  // The Langevin corrector's step factor alpha_i (Song et al. 2021, alg. 4-5): 1 - beta_i where the process
  // shrinks its mean, 1 otherwise (the default). Shape [B].
  virtual at::Tensor langevin_alpha(const at::Tensor& t) const;
  // The ancestral step of the discrete chain (Song et al. 2021, eq. 4 and app. F); has_ancestral_step() false
  // when the process has none (sub-VP), and ancestral_step() then throws.
  virtual bool has_ancestral_step() const { return false; }
  virtual AncestralStep ancestral_step(const at::Tensor& x, const at::Tensor& score, const at::Tensor& t) const;

  // Non-virtual helpers built on the above.
  at::Tensor prior_sample(at::IntArrayRef shape, at::Generator gen, const at::TensorOptions& options) const;
  // log N(z; 0, prior_std^2 I) summed over all but the batch dimension.
  at::Tensor prior_logp(const at::Tensor& z) const;
  // Step index i = round(t (N-1) / T), shape [B], int64.
  at::Tensor timestep(const at::Tensor& t) const;
};

// Reshape a per-example tensor [B] to broadcast against x [B, ...].
SCOREGEN_API at::Tensor batch_view(const at::Tensor& v, const at::Tensor& like);

}  // namespace scoregen
