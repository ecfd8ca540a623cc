// Noise schedules shared by the SDE plugins.
#include "scoregen/schedules.hpp"

#include <cmath>

#include <ATen/ATen.h>

namespace scoregen::schedule {

at::Tensor vp_beta(const at::Tensor& t, double bmin, double bmax) {
  // beta(t) = bmin + t (bmax - bmin)
  return bmin + t * (bmax - bmin);
}

at::Tensor vp_log_mean_coeff(const at::Tensor& t, double bmin, double bmax) {
  // m(t) = -1/4 t^2 (bmax - bmin) - 1/2 t bmin
  return -0.25 * t * t * (bmax - bmin) - 0.5 * t * bmin;
}

at::Tensor ve_sigma(const at::Tensor& t, double smin, double smax) {
  // sigma(t) = smin (smax / smin)^t
  return smin * at::pow(smax / smin, t);
}

at::Tensor geometric_ladder(double smin, double smax, std::int64_t n) {
  // sigma_i = exp(linspace(ln smin, ln smax, n))
  return at::exp(at::linspace(std::log(smin), std::log(smax), n, at::kDouble));
}

at::Tensor ddpm_betas(double bmin, double bmax, std::int64_t n) {
  // beta_i = linspace(bmin / n, bmax / n, n)
  return at::linspace(bmin / static_cast<double>(n), bmax / static_cast<double>(n), n, at::kDouble);
}

}  // namespace scoregen::schedule
