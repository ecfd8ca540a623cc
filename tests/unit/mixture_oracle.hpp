// An isotropic Gaussian mixture given by its weights, means [K, D] and stds: the pipeline text of its oracle
// network and guidance, and exact answers about it (shared by the SMC tests).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scoregen/gaussian_mixture.hpp"

namespace test {

struct Mixture {
  std::vector<double> weights;
  std::vector<std::vector<double>> means;
  std::vector<double> stds;

  // The keys of its [network] gaussian-mixture and [guidance] mixture-posterior tables.
  std::string toml() const {
    std::string m;
    for (const auto& row : means) m += fmt::format("{}[{}]", m.empty() ? "" : ", ", fmt::join(row, ", "));
    return fmt::format("weights = [{}]\nmeans = [{}]\nstds = [{}]\n", fmt::join(weights, ", "), m, fmt::join(stds, ", "));
  }
  scoregen::GaussianMixture oracle() const { return {weights, means, stds}; }
  // Exact conditional component weights given coordinate `d` of the (rotated) point equals c.
  std::vector<double> conditional_weights(const std::vector<std::vector<double>>& centres, std::size_t d, double c) const {
    std::vector<double> w(weights.size());
    double total = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double z = (c - centres[k][d]) / stds[k];
      total += w[k] = weights[k] * std::exp(-0.5 * z * z) / stds[k];
    }
    for (double& v : w) v /= total;
    return w;
  }
};

}  // namespace test
