// Dormand-Prince RK45 (Dormand & Prince 1980; scipy.integrate RK45) and classic fixed-step methods.
#include "scoregen/ode.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"

namespace scoregen {

namespace {
// Dormand-Prince 5(4) tableau (scipy RK45.A, B, E).
const double A[6][5] = {{0, 0, 0, 0, 0},
                        {1.0 / 5, 0, 0, 0, 0},
                        {3.0 / 40, 9.0 / 40, 0, 0, 0},
                        {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0},
                        {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0},
                        {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656}};
const double C[6] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1};
const double B[6] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84};
const double E[7] = {-71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40};

// f(t, v), counted in r.nfe; an interrupt is noticed before every evaluation, since one may take seconds on a large
// model.
at::Tensor counted_call(const OdeFunction& f, OdeResult& r, double t, const at::Tensor& v) {
  throw_if_interrupted();
  ++r.nfe;
  return f(t, v);
}

// RMS norm (scipy's norm(x) / sqrt(n))
double rms(const at::Tensor& x) { return std::sqrt(x.to(at::kDouble).pow(2).mean().item<double>()); }
}  // namespace

OdeResult solve_rk45(const OdeFunction& f, at::Tensor y, double t0, double t1, double rtol, double atol,
                     const std::function<void(double)>& on_step) {
  if (!(rtol > 0) || !(atol > 0)) throw Error("RK45 tolerances must be > 0");
  OdeResult r;
  const double dir = t1 >= t0 ? 1.0 : -1.0;
  auto call = [&](double t, const at::Tensor& v) { return counted_call(f, r, t, v); };
  at::Tensor fy = call(t0, y);
  // Initial step (scipy select_initial_step, order 4)
  at::Tensor scale = atol + y.abs() * rtol;
  double d0 = rms(y / scale), d1 = rms(fy / scale);
  double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  at::Tensor fy1 = call(t0 + dir * h0, y + dir * h0 * fy);
  double d2 = rms((fy1 - fy) / scale) / h0;
  double h1 = (d1 <= 1e-15 && d2 <= 1e-15) ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / std::max(d1, d2), 1.0 / 5);
  double h = std::min({100 * h0, h1, std::abs(t1 - t0)});
  double t = t0;
  const double safety = 0.9, min_factor = 0.2, max_factor = 10;
  while (t != t1) {
    // The last step lands exactly on t1 (no sliver of a step left by rounding).
    double t_new = t + dir * h;
    if (dir * (t_new - t1) >= 0 || std::abs(t_new - t1) < 1e-12 * std::max(1.0, std::abs(t1))) t_new = t1;
    h = std::abs(t_new - t);
    if (h < 1e-14 * std::max(1.0, std::abs(t))) throw Error(fmt::format("RK45: step size underflow at t = {}", t));
    at::Tensor k[7];
    k[0] = fy;
    for (int s = 1; s < 6; ++s) {
      at::Tensor dy = at::zeros_like(y);
      for (int j = 0; j < s; ++j)
        if (A[s][j] != 0) dy = dy + A[s][j] * k[j];
      k[s] = call(t + dir * C[s] * h, y + dir * h * dy);
    }
    at::Tensor ynew = y;
    for (int s = 0; s < 6; ++s)
      if (B[s] != 0) ynew = ynew + dir * h * B[s] * k[s];
    k[6] = call(t + dir * h, ynew);
    at::Tensor err = at::zeros_like(y);
    for (int s = 0; s < 7; ++s)
      if (E[s] != 0) err = err + E[s] * k[s];
    err = err * (dir * h);
    // error norm relative to atol + rtol max(|y|, |y_new|)
    double norm = rms(err / (atol + at::maximum(y.abs(), ynew.abs()) * rtol));
    if (!std::isfinite(norm)) throw Error(fmt::format("RK45: the ODE produced non-finite values at t = {}", t));
    if (norm < 1) {
      t = t_new;
      y = ynew;
      fy = k[6];
      ++r.steps;
      if (on_step) on_step(t);
      double factor = norm == 0 ? max_factor : std::min(max_factor, safety * std::pow(norm, -0.2));
      h *= factor;
    } else {
      h *= std::max(min_factor, safety * std::pow(norm, -0.2));
    }
  }
  r.y = y;
  return r;
}

OdeResult solve_fixed(const std::string& method, const OdeFunction& f, at::Tensor y, const at::Tensor& ts,
                      const std::function<void(double)>& on_step) {
  OdeResult r;
  auto call = [&](double t, const at::Tensor& v) { return counted_call(f, r, t, v); };
  for (std::int64_t i = 0; i + 1 < ts.size(0); ++i) {
    const double t = ts[i].item<double>(), tn = ts[i + 1].item<double>(), h = tn - t;
    if (method == "euler") {
      y = y + h * call(t, y);  // y + h f(t, y)
    } else if (method == "heun") {
      at::Tensor k1 = call(t, y);
      at::Tensor k2 = call(tn, y + h * k1);
      y = y + 0.5 * h * (k1 + k2);  // trapezoidal corrector
    } else if (method == "rk4") {
      at::Tensor k1 = call(t, y), k2 = call(t + h / 2, y + h / 2 * k1), k3 = call(t + h / 2, y + h / 2 * k2),
                 k4 = call(tn, y + h * k3);
      y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);  // classic RK4
    } else {
      throw Error(fmt::format("unknown fixed-step method '{}' (euler, heun, rk4)", method));
    }
    ++r.steps;
    if (on_step) on_step(tn);
  }
  r.y = y;
  return r;
}

}  // namespace scoregen
