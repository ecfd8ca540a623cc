// Noise schedules shared by the SDE plugins (Song et al. 2021, app. B; docs/formulas.md "Forward processes").
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"

namespace scoregen::schedule {

// Linear beta(t) = bmin + t (bmax - bmin) (score_sde VPSDE.sde).
SCOREGEN_API at::Tensor vp_beta(const at::Tensor& t, double bmin, double bmax);
// m(t) = -1/4 t^2 (bmax - bmin) - 1/2 t bmin, the log kernel mean coefficient (VPSDE.marginal_prob).
SCOREGEN_API at::Tensor vp_log_mean_coeff(const at::Tensor& t, double bmin, double bmax);
// sigma(t) = smin (smax / smin)^t (VESDE.marginal_prob).
SCOREGEN_API at::Tensor ve_sigma(const at::Tensor& t, double smin, double smax);
// The SMLD ladder exp(linspace(ln smin, ln smax, n)) (VESDE.discrete_sigmas), ascending.
SCOREGEN_API at::Tensor geometric_ladder(double smin, double smax, std::int64_t n);
// DDPM betas linspace(bmin / n, bmax / n, n) (VPSDE.discrete_betas).
SCOREGEN_API at::Tensor ddpm_betas(double bmin, double bmax, std::int64_t n);

}  // namespace scoregen::schedule
