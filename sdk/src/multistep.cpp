// The grid and step orders of the multistep fast solvers.
#include "scoregen/multistep.hpp"

#include <algorithm>

namespace scoregen::edm {

std::vector<double> multistep_sigmas(const Sde& sde, const MultistepSettings& s) {
  if (!s.denoise_final) return sigma_schedule(sde, s.steps + 1, s);
  std::vector<double> sig = sigma_schedule(sde, s.steps, s);
  sig.push_back(0.0);
  return sig;
}

std::int64_t step_order(const MultistepSettings& s, std::int64_t i, double sigma_next) {
  if (sigma_next == 0) return 1;
  std::int64_t order = std::min(s.order, i + 1);
  if (s.lower_order_final) order = std::min(order, s.steps - i);
  return order;
}

}  // namespace scoregen::edm
