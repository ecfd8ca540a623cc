// Any SDE in the EDM view (Karras et al. 2022): x = a(t) x_hat, sigma(t) = s(t) / a(t), and the
// denoiser D(x_hat; sigma) built from the score. Used by the heun-edm and dpm-solver++ samplers.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/sampler.hpp"
#include "scoregen/score_model.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::edm {

// sigma(t) = s(t) / a(t)
SCOREGEN_API double sigma_of_t(const Sde& sde, double t);
// The inverse, by bisection on [0, T] (sigma(t) is increasing for every SDE here).
SCOREGEN_API double t_of_sigma(const Sde& sde, double sigma);
// Karras rho-schedule: (smax^{1/rho} + i/(n-1) (smin^{1/rho} - smax^{1/rho}))^rho, i = 0..n-1, then 0.
SCOREGEN_API std::vector<double> karras_sigmas(double sigma_min, double sigma_max, std::int64_t n, double rho);
// The sampler's start in EDM variables: the Karras schedule from sigma(T) to sigma(eps) (then 0), and
// x_hat = x_T / a(T) with x_T drawn from the SDE's prior.
struct Start {
  std::vector<double> sigmas;
  at::Tensor x_hat;
};
SCOREGEN_API Start start(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator& gen, std::int64_t steps,
                         double rho);
// Applies a hook's projection (defined on x at time t) to x_hat at noise level sigma (>= sigma(eps)).
SCOREGEN_API at::Tensor project(const SampleHooks& hooks, ScoreModel& model, const at::Tensor& x_hat, double sigma);
// D(x_hat; sigma) = x_hat + sigma^2 a(t) s(a(t) x_hat, t), t = t(sigma): one NFE.
SCOREGEN_API at::Tensor denoise(ScoreModel& model, const at::Tensor& x_hat, double sigma);

}  // namespace scoregen::edm
