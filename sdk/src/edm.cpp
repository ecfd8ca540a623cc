// The EDM change of variables for any SDE (Karras et al. 2022, sec. 2-3).
#include "scoregen/edm.hpp"

#include <cmath>

#include <ATen/ATen.h>

namespace scoregen::edm {

double sigma_of_t(const Sde& sde, double t) {
  at::Tensor tt = at::full({1}, t, at::kDouble);
  return (sde.marginal_std(tt) / sde.mean_coeff(tt)).item<double>();
}

double t_of_sigma(const Sde& sde, double sigma) {
  double lo = 0, hi = sde.T();
  if (sigma <= sigma_of_t(sde, lo)) return lo;
  if (sigma >= sigma_of_t(sde, hi)) return hi;
  for (int i = 0; i < 100; ++i) {
    double mid = 0.5 * (lo + hi);
    (sigma_of_t(sde, mid) < sigma ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

at::Tensor t_of_sigma(const Sde& sde, const at::Tensor& sigma) {
  at::Tensor target = sigma.to(at::kDouble);
  at::Tensor lo = at::zeros_like(target), hi = at::full_like(target, sde.T());
  // bisection on [0, T] for every sigma at once: 64 halvings reach float64's resolution of t
  for (int i = 0; i < 64; ++i) {
    at::Tensor mid = 0.5 * (lo + hi);
    at::Tensor below = sde.marginal_std(mid) / sde.mean_coeff(mid) < target;
    lo = at::where(below, mid, lo);
    hi = at::where(below, hi, mid);
  }
  return 0.5 * (lo + hi);
}

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, std::int64_t n, double rho) {
  std::vector<double> s;
  const double a = std::pow(sigma_max, 1 / rho), b = std::pow(sigma_min, 1 / rho);
  // sigma_i = (smax^{1/rho} + i/(n-1) (smin^{1/rho} - smax^{1/rho}))^rho
  for (std::int64_t i = 0; i < n; ++i) s.push_back(std::pow(a + static_cast<double>(i) / static_cast<double>(n - 1) * (b - a), rho));
  s.push_back(0.0);
  return s;
}

std::vector<double> sigma_schedule(const Sde& sde, std::int64_t points, const GridSettings& grid) {
  const double T = sde.T(), eps = sde.sample_eps();
  const double smax = sigma_of_t(sde, T), smin = sigma_of_t(sde, eps);
  if (grid.schedule == "edm") {
    std::vector<double> s = karras_sigmas(smin, smax, points, grid.rho);
    s.pop_back();
    return s;
  }
  std::vector<double> s;
  for (std::int64_t i = 0; i < points; ++i) {
    const double u = static_cast<double>(i) / static_cast<double>(points - 1);
    if (grid.schedule == "logsnr") {
      // lambda_i = lambda_max + u (lambda_min - lambda_max), lambda = -log sigma
      s.push_back(std::exp(std::log(smax) + u * (std::log(smin) - std::log(smax))));
    } else if (grid.schedule == "time-uniform") {
      s.push_back(sigma_of_t(sde, T + u * (eps - T)));  // t_i = T + u (eps - T)
    } else {
      const double r = std::sqrt(T) + u * (std::sqrt(eps) - std::sqrt(T));  // t_i = (sqrt T + u (sqrt eps - sqrt T))^2
      s.push_back(sigma_of_t(sde, r * r));
    }
  }
  return s;
}

at::Tensor start(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator& gen) {
  Sde& sde = model.sde();
  const double a_T = sde.mean_coeff(at::full({1}, sde.T(), at::kDouble)).item<double>();
  // x_hat = x_T / a(T): the prior in the EDM variables
  return sde.prior_sample(shape, gen, model.options()) / a_T;
}

at::Tensor to_sde_state(ScoreModel& model, const at::Tensor& x_hat, double sigma) {
  Sde& sde = model.sde();
  // x = a(t) x_hat
  return x_hat * sde.mean_coeff(at::full({1}, t_of_sigma(sde, sigma), at::kDouble)).item<double>();
}

at::Tensor project(const SampleHooks& hooks, ScoreModel& model, const at::Tensor& x_hat, double sigma) {
  if (!hooks.project) return x_hat;
  Sde& sde = model.sde();
  const double t = t_of_sigma(sde, std::max(sigma, sigma_of_t(sde, sde.sample_eps())));
  const double a = sde.mean_coeff(at::full({1}, t, at::kDouble)).item<double>();
  // x = a(t) x_hat
  return hooks.project(x_hat * a, at::full({x_hat.size(0)}, t, x_hat.options())) / a;
}

at::Tensor denoise(ScoreModel& model, const at::Tensor& x_hat, double sigma) {
  Sde& sde = model.sde();
  const double t = t_of_sigma(sde, sigma);
  at::Tensor tt = at::full({x_hat.size(0)}, t, x_hat.options());
  const double a = sde.mean_coeff(at::full({1}, t, at::kDouble)).item<double>();
  // grad_{x_hat} log p = a grad_x log p_t(a x_hat); D = x_hat + sigma^2 grad_{x_hat} log p (Tweedie)
  return x_hat + sigma * sigma * a * model.score(a * x_hat, tt);
}

at::Tensor denoise(ScoreModel& model, const at::Tensor& x_hat, const at::Tensor& sigma, const at::Tensor& t) {
  at::Tensor a = batch_view(model.sde().mean_coeff(t), x_hat), s = batch_view(sigma.to(x_hat.scalar_type()), x_hat);
  // as above, per example
  return x_hat + s * s * a * model.score(a * x_hat, t);
}

}  // namespace scoregen::edm
