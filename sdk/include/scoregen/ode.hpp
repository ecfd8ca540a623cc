// ODE solvers for the probability-flow ODE and the likelihood: adaptive Dormand-Prince RK45
// (as scipy's solve_ivp(method="RK45"), used by score_sde) and fixed-step Euler, Heun, RK4.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>

#include "scoregen/api.hpp"

namespace scoregen {

// The one default tolerance of every adaptive probability-flow ODE solve (nll, eval's bits/dim, encode, decode,
// interpolate, the ode sampler): rtol = atol = 1e-5, score_sde_pytorch's for its likelihood and ODE sampler.
// docs/pipelines.md "ODE tolerance" gives the error each tolerance costs.
constexpr double kOdeTolerance = 1e-5;

// dy/dt = f(t, y); y is any tensor (a whole batch is one state, as in score_sde).
using OdeFunction = std::function<at::Tensor(double t, const at::Tensor& y)>;

struct OdeResult {
  at::Tensor y;
  std::int64_t nfe = 0;
  std::int64_t steps = 0;
};

// Adaptive RK45 from t0 to t1 (either direction) with scipy's error norm and step control.
// `on_step(t)` is called after every accepted step (progress, interrupts).
SCOREGEN_API OdeResult solve_rk45(const OdeFunction& f, at::Tensor y0, double t0, double t1, double rtol, double atol,
                                  const std::function<void(double)>& on_step = {});
// Fixed steps on the grid ts (method: euler, heun, rk4).
SCOREGEN_API OdeResult solve_fixed(const std::string& method, const OdeFunction& f, at::Tensor y0, const at::Tensor& ts,
                                   const std::function<void(double)>& on_step = {});

}  // namespace scoregen
