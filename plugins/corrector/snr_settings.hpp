// The options both Langevin correctors take: the target signal-to-noise ratio and the steps per noise level.
#pragma once

#include <cstdint>

#include "scoregen/options.hpp"

namespace scoregen::plugins {

struct SnrSettings {
  double snr = 0.16;
  std::int64_t n_steps = 1;
  static void declare(Declaration<SnrSettings>& d) {
    d(&SnrSettings::snr, "snr", "corrector signal-to-noise ratio r").above(0);
    d(&SnrSettings::n_steps, "n_steps", "corrector steps per noise level").at_least(1).at_most(1000000);
  }
};

}  // namespace scoregen::plugins
