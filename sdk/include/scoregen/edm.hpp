// Any SDE in the EDM view (Karras et al. 2022): x = a(t) x_hat, sigma(t) = s(t) / a(t), and the
// denoiser D(x_hat; sigma) built from the score, and the time-step schedules of the fast solvers. Used by the
// heun-edm, dpm-solver++ and unipc samplers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "scoregen/options.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/score_model.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::edm {

// sigma(t) = s(t) / a(t)
SCOREGEN_API double sigma_of_t(const Sde& sde, double t);
// The inverse, by bisection on [0, T] (sigma(t) is increasing for every SDE here).
SCOREGEN_API double t_of_sigma(const Sde& sde, double sigma);
// The same for each of sigma [B] (float64) at once: t [B], float64.
SCOREGEN_API at::Tensor t_of_sigma(const Sde& sde, const at::Tensor& sigma);
// Karras rho-schedule: (smax^{1/rho} + i/(n-1) (smin^{1/rho} - smax^{1/rho}))^rho, i = 0..n-1, then 0.
SCOREGEN_API std::vector<double> karras_sigmas(double sigma_min, double sigma_max, std::int64_t n, double rho);
// The time-step schedules of the fast solvers (docs/formulas.md "Fast samplers"), from sigma(T) down to sigma(eps):
// "edm" the rho-schedule above (Karras et al. 2022, eq. 5); "logsnr" uniform in lambda = -log sigma (Lu et al. 2022,
// sec. 3.3); "time-uniform" uniform in t; "quadratic" uniform in sqrt(t) (DPM-Solver's time_quadratic).
struct GridSettings {
  std::string schedule = "edm";
  double rho = 7.0;
};
// Declares `schedule` and `rho` on a settings struct derived from GridSettings.
template <class S>
void declare_grid(Declaration<S>& d) {
  d(static_cast<std::string S::*>(&GridSettings::schedule), "schedule", "time steps: edm (rho), logsnr, time-uniform, quadratic")
      .one_of({"edm", "logsnr", "time-uniform", "quadratic"});
  d(static_cast<double S::*>(&GridSettings::rho), "rho", "exponent of the edm schedule").above(0);
}
// `points` (>= 2) descending noise levels from sigma(T) to sigma(eps) on the schedule.
SCOREGEN_API std::vector<double> sigma_schedule(const Sde& sde, std::int64_t points, const GridSettings& grid);

// The sampler's start in EDM variables: x_hat = x_T / a(T) with x_T drawn from the SDE's prior.
SCOREGEN_API at::Tensor start(ScoreModel& model, const std::vector<std::int64_t>& shape, at::Generator& gen);
// x = a(t(sigma)) x_hat: a state in the EDM variables back in the SDE's own.
SCOREGEN_API at::Tensor to_sde_state(ScoreModel& model, const at::Tensor& x_hat, double sigma);
// Applies a hook's projection (defined on x at time t) to x_hat at noise level sigma (>= sigma(eps)).
SCOREGEN_API at::Tensor project(const SampleHooks& hooks, ScoreModel& model, const at::Tensor& x_hat, double sigma);
// D(x_hat; sigma) = x_hat + sigma^2 a(t) s(a(t) x_hat, t), t = t(sigma): one NFE.
SCOREGEN_API at::Tensor denoise(ScoreModel& model, const at::Tensor& x_hat, double sigma);
// The same with a noise level per example: sigma and t = t(sigma) of shape [B].
SCOREGEN_API at::Tensor denoise(ScoreModel& model, const at::Tensor& x_hat, const at::Tensor& sigma, const at::Tensor& t);

}  // namespace scoregen::edm
