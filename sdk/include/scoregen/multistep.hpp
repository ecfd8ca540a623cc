// What the multistep fast solvers share (dpm-solver++, unipc; docs/formulas.md "Fast samplers"): their options, their
// grid of noise levels and the order each step may use.
#pragma once

#include <cstdint>
#include <vector>

#include "scoregen/edm.hpp"

namespace scoregen::edm {

struct MultistepSettings : GridSettings {
  std::int64_t steps = 20, order = 2;
  bool lower_order_final = true, denoise_final = true;
};
// Declares steps, order (1..max_order; its default is the plugin's Settings'), schedule, rho, lower_order_final and denoise_final.
template <class S>
void declare_multistep(Declaration<S>& d, std::int64_t max_order) {
  d(static_cast<std::int64_t S::*>(&MultistepSettings::steps), "steps", "steps (= evaluations)").at_least(2).at_most(1000000).takes_steps();
  d(static_cast<std::int64_t S::*>(&MultistepSettings::order), "order", "order of the multistep update")
      .at_least(1)
      .at_most(static_cast<double>(max_order));
  declare_grid(d);
  d(static_cast<bool S::*>(&MultistepSettings::lower_order_final), "lower_order_final",
    "first order on the last step and at most second on the one before (stabilises few steps)");
  d(static_cast<bool S::*>(&MultistepSettings::denoise_final), "denoise_final",
    "the last evaluation at sigma(eps) returns the denoised data D (else the solver stops at sigma(eps))");
}

// The steps + 1 noise levels the solver visits: from sigma(T) to sigma(eps), then 0 when denoise_final (the last
// step is then x = D(x; sigma(eps))). Every level but the last costs one evaluation.
SCOREGEN_API std::vector<double> multistep_sigmas(const Sde& sde, const MultistepSettings& s);
// The order of step i (0-based) of s.steps: at most i + 1 (the history so far), 1 on a step to sigma = 0, and with
// lower_order_final at most steps - i (Lu et al. 2022, DPM-Solver++ multistep with lower-order final steps).
SCOREGEN_API std::int64_t step_order(const MultistepSettings& s, std::int64_t i, double sigma_next);

}  // namespace scoregen::edm
