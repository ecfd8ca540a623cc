// Exact likelihood through the probability-flow ODE (Song et al. 2021, sec. 4.3 and app. D.2),
// and latent codes: encode (data -> prior) and decode (prior -> data) along the same ODE.
#pragma once

#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/ode.hpp"
#include "scoregen/score_model.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

struct LikelihoodOptions {
  double rtol = kOdeTolerance, atol = kOdeTolerance;
  std::string divergence = "rademacher";  // rademacher, gaussian (Hutchinson) or exact
  std::int64_t n_probes = 1;
  at::Tensor probes;  // given Hutchinson probes [K, B, ...] (undefined: n_probes drawn per solve)
};

struct LikelihoodResult {
  at::Tensor logp;  // [B] log p(x) in nats (model space), float64
  at::Tensor z;     // the latent x(T)
  at::Tensor delta; // int_eps^T div f dt, so log p_eps(x) = log p_T(z) + delta exactly (the prior stands in for p_T)
  std::int64_t nfe = 0;
};

// The PF-ODE is defined for continuous-time SDEs only: throws for the discrete smld ladder and ddpm chain,
// whose kernels exist only on their N grid times.
void require_continuous_time(const Sde& sde, const std::string& what);
// 8-bit data in model space ([-1, 1] when symmetric, else [0, 1]) uniformly dequantized: (x 255 + U) / 256.
at::Tensor dequantize_8bit(const at::Tensor& x, bool symmetric, at::Generator gen);
// The bits/dim offset of that dequantization: 7 for [-1, 1], 8 for [0, 1] (docs/formulas.md "Likelihood").
inline double bits_per_dim_offset(bool symmetric) { return symmetric ? 7.0 : 8.0; }

// log p_eps(x) = log p_T(x(T)) + int_eps^T div f(x(t), t) dt, with f the PF-ODE drift; probes drawn once per solve.
LikelihoodResult log_likelihood(ScoreModel& model, const at::Tensor& x, const LikelihoodOptions& options,
                                             at::Generator gen);
// Seconds one PF-ODE evaluation with the exact divergence takes for `example` ([1, ...]: D backward passes), the
// estimate `nll --divergence exact` gives before it starts; counts one NFE.
double exact_divergence_seconds(ScoreModel& model, const at::Tensor& example);
// x(eps) -> x(T) and back along the PF-ODE with RK45.
OdeResult encode(ScoreModel& model, const at::Tensor& x, double rtol, double atol);
OdeResult decode(ScoreModel& model, const at::Tensor& z, double rtol, double atol);
// Spherical interpolation between latents a and b at weights w in [0, 1]: [len(w), ...].
at::Tensor slerp(const at::Tensor& a, const at::Tensor& b, const at::Tensor& w);

}  // namespace scoregen::engine
