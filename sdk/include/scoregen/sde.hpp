// The forward process dx = f(x,t) dt + g(t) dW on [0, T] (score_sde_pytorch sde_lib.SDE).
#pragma once

#include <cstdint>
#include <utility>

#include <ATen/ATen.h>

#include "scoregen/plugin.hpp"

namespace scoregen {

// VE: variance exploding (SMLD); VP: variance preserving (DDPM); SubVP: sub-VP.
enum class SdeFamily { VE, VP, SubVP };

class SCOREGEN_API Sde : public Component {
 public:
  virtual SdeFamily family() const = 0;
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
  // Discretisation x_{i+1} = x_i + f_i + G_i z (sde_lib.SDE.discretize): returns {f_i, G_i [B]}.
  virtual std::pair<at::Tensor, at::Tensor> discretize(const at::Tensor& x, const at::Tensor& t) const;
  // Time epsilons (REFERENCE.md): training t ~ U(train_eps, T); sampling ends at sample_eps.
  virtual double train_eps() const { return 1e-5; }
  virtual double sample_eps() const = 0;
  virtual double likelihood_eps() const { return 1e-5; }
  // Discrete schedules indexed by i = round(t (N-1) / T): sigma_i (VE family) or beta_i (VP family).
  virtual at::Tensor discrete_sigmas() const;
  virtual at::Tensor discrete_betas() const;
  // True for the SMLD ladder and the DDPM chain: t only takes the N grid values.
  virtual bool is_discrete() const { return false; }

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
