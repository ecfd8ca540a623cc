// Sequential Monte Carlo inpainting on a family of conditions, not a point: Gaussian mixtures drawn from a seeded
// generator (2-D and 3-D, one or two coordinates known), each conditioned on known values across its support — at a
// value two modes of different spreads share, between two modes, at one mode, in a mode's tail. Each is checked
// against its exact conditional: the mixture's weights given the known values, w_k N(y; mu_k, s_k^2), and each
// component's own law on the unknown coordinates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "engine/math/metrics.hpp"
#include "engine/math/smc_inpainting.hpp"
#include "mixture_oracle.hpp"
#include "support.hpp"

namespace {

using test::Mixture;

struct Family {
  std::string name;
  Mixture mix;
  std::vector<std::int64_t> known;                 // the known coordinates
  std::vector<std::vector<double>> values;         // per condition, the known coordinates' values
  std::vector<std::string> where;                  // per condition, what the value is
};

// A mixture of four isotropic components with random weights, means in [-4, 4] and spreads in [0.3, 1.2], where
// components 0 and 1 share the known coordinates' centre with spreads a factor 2.5 apart.
Family draw_family(std::uint32_t seed, std::int64_t dim, std::int64_t known) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> weight(0.5, 1.5), centre(-4.0, 4.0), spread(0.3, 0.6);
  Family f;
  f.name = fmt::format("seed {} ({}-D, {} known)", seed, dim, known);
  double total = 0;
  for (int k = 0; k < 4; ++k) {
    f.mix.weights.push_back(weight(gen));
    total += f.mix.weights.back();
    std::vector<double> mean;
    for (std::int64_t d = 0; d < dim; ++d) mean.push_back(centre(gen));
    f.mix.means.push_back(mean);
    f.mix.stds.push_back(spread(gen));
  }
  for (double& w : f.mix.weights) w /= total;
  f.mix.stds[1] = 2.5 * f.mix.stds[0];
  for (std::int64_t d = 0; d < known; ++d) {
    f.known.push_back(d);
    f.mix.means[1][d] = f.mix.means[0][d];
  }
  auto at_mode = [&](int k, double shift) {
    std::vector<double> v;
    for (std::int64_t d : f.known) v.push_back(f.mix.means[k][d] + shift * f.mix.stds[k]);
    return v;
  };
  f.values.push_back(at_mode(0, 0.0)), f.where.push_back("shared by modes 0 and 1 of spreads 1 : 2.5");
  std::vector<double> between;
  for (std::int64_t d : f.known) between.push_back(0.5 * (f.mix.means[0][d] + f.mix.means[2][d]));
  f.values.push_back(between), f.where.push_back("between modes 0 and 2");
  f.values.push_back(at_mode(2, 0.0)), f.where.push_back("at mode 2");
  f.values.push_back(at_mode(3, 1.5)), f.where.push_back("1.5 spreads into mode 3's tail");
  return f;
}

std::vector<double> exact_weights(const Family& f, const std::vector<double>& y) {
  std::vector<double> w;
  double total = 0;
  for (std::size_t k = 0; k < f.mix.weights.size(); ++k) {
    double log_w = std::log(f.mix.weights[k]);
    for (std::size_t j = 0; j < f.known.size(); ++j) {
      const double z = (y[j] - f.mix.means[k][static_cast<std::size_t>(f.known[j])]) / f.mix.stds[k];
      log_w += -0.5 * z * z - std::log(f.mix.stds[k]);
    }
    w.push_back(std::exp(log_w));
    total += w.back();
  }
  for (double& v : w) v /= total;
  return w;
}

// n exact draws of coordinate d of the conditional with component weights w.
at::Tensor exact_coordinate(const Family& f, const std::vector<double>& w, std::int64_t d, std::int64_t n,
                            std::uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor k = at::multinomial(at::tensor(w, at::kDouble), n, true, gen);
  std::vector<double> mu;
  for (const auto& m : f.mix.means) mu.push_back(m[static_cast<std::size_t>(d)]);
  return at::tensor(mu, at::kDouble).index_select(0, k) +
         at::tensor(f.mix.stds, at::kDouble).index_select(0, k) * at::randn({n}, gen, at::kDouble);
}

double w1(const at::Tensor& a, const at::Tensor& b) {
  return scoregen::engine::sliced_wasserstein(a.reshape({-1, 1}), b.reshape({-1, 1}), 1,
                                              at::make_generator<at::CPUGeneratorImpl>(0));
}

struct Outcome {
  double weight_error = 0, w1_ratio = 0, min_ess = 0;
};

// n completions per condition with K particles each and `sweeps` sweeps, `steps` steps of `predictor`; per condition
// the largest mode-weight error (the kept system's weighted particles' mean exact posterior p(k | x_0), against the
// exact weights) and the largest ratio of an unknown coordinate's W1 to the exact-sample floor.
std::vector<Outcome> run(const Family& f, std::int64_t steps, const std::string& predictor, std::int64_t n,
                         std::int64_t particles, std::int64_t sweeps, std::uint64_t seed) {
  const std::int64_t dim = static_cast<std::int64_t>(f.mix.means[0].size()), c = static_cast<std::int64_t>(f.values.size());
  auto a = test::assembly("[sde]\nplugin = \"vp\"\nN = " + std::to_string(steps) +
                          "\n[network]\nplugin = \"gaussian-mixture\"\n" + f.mix.toml() +
                          "[sampler]\nplugin = \"pc\"\npredictor = \"" + predictor + "\"\ncorrector = \"none\"\n");
  at::Tensor known = at::zeros({c * n, dim}), mask = at::zeros({1, dim});
  for (std::int64_t j = 0; j < static_cast<std::int64_t>(f.known.size()); ++j) {
    mask[0][f.known[static_cast<std::size_t>(j)]] = 1.0;
    for (std::int64_t i = 0; i < c; ++i)
      known.narrow(0, i * n, n).select(1, f.known[static_cast<std::size_t>(j)]).fill_(f.values[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]);
  }
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const std::int64_t modes = static_cast<std::int64_t>(f.mix.weights.size()), groups = c * n;
  // each sweep's chosen completion and its system's weighted estimate of the mode weights, [c n, modes], combined by
  // particle independent Metropolis-Hastings
  scoregen::engine::IndependentMetropolis chain(gen);
  for (std::int64_t sweep = 0; sweep < sweeps; ++sweep) {
    scoregen::engine::SmcInpainting smc(*a.model, known, mask, false, particles, 0.5, gen);
    scoregen::SilentProgress progress;
    at::Tensor x = a.sampler->sample(*a.model, {groups * particles, dim}, gen, progress, smc.hooks()).to(at::kDouble);
    at::Tensor ones = at::ones({x.size(0)}, at::kDouble), zeros = at::zeros({x.size(0)}, at::kDouble);
    at::Tensor posterior = f.mix.oracle().posterior(x, ones, zeros).reshape({groups, particles, modes});
    chain.offer({smc.select(x), (smc.weights().reshape({groups, particles, 1}) * posterior).sum(1)}, smc.log_evidence());
  }
  const at::Tensor chosen = chain.current()[0];
  const at::Tensor estimate = chain.current()[1].reshape({c, n, modes}).mean(1);  // [c, modes]
  std::vector<Outcome> out;
  for (std::int64_t i = 0; i < c; ++i) {
    Outcome o;
    const std::vector<double> exact = exact_weights(f, f.values[static_cast<std::size_t>(i)]);
    for (std::int64_t k = 0; k < modes; ++k)
      o.weight_error = std::max(o.weight_error, std::abs(estimate[i][k].item<double>() - exact[static_cast<std::size_t>(k)]));
    for (std::int64_t d = 0; d < dim; ++d) {
      if (std::find(f.known.begin(), f.known.end(), d) != f.known.end()) continue;
      double floor = 0;
      for (std::uint64_t s = 0; s < 6; ++s)
        floor = std::max(floor, w1(exact_coordinate(f, exact, d, n, 100 + 2 * s), exact_coordinate(f, exact, d, n, 101 + 2 * s)));
      const double distance = w1(chosen.narrow(0, i * n, n).select(1, d), exact_coordinate(f, exact, d, n, 7));
      o.w1_ratio = std::max(o.w1_ratio, distance / floor);
    }
    out.push_back(o);
  }
  return out;
}

// The bounds hold at the defaults, 16 particles and 4 sweeps, on every condition, with 600 completions each (the
// estimate's own sampling error is about 0.01). The largest errors, 0.03-0.04, are at 50 Euler-Maruyama steps in 3-D:
// there the 50-step chain's own conditional, the target SMC is exact for, is itself up to 0.032 from the mixture's
// (2 million unconditional draws of the chain, kept where the known value is within 0.04), and 8 or 16 sweeps do not
// lower them; at 200 steps the largest is 0.022 (the chain's own: 0.013). One sweep (plain SMC) reaches 0.069 and
// 4.7 times the floor and fails; with the weights' correction dropped (each particle weighed by Z(x) alone) the largest error is 0.68.
const double kWeightBound = 0.06, kW1Bound = 3.0;

void check(const Family& f, std::int64_t steps, const std::string& predictor, std::int64_t n) {
  const std::vector<Outcome> o = run(f, steps, predictor, n, 16, 4, 5);
  for (std::size_t i = 0; i < o.size(); ++i) {
    std::printf("%s, %lld %s steps, %s: weight error %.4f, W1 %.2f x floor\n", f.name.c_str(),
                static_cast<long long>(steps), predictor.c_str(), f.where[i].c_str(), o[i].weight_error, o[i].w1_ratio);
    EXPECT_LT(o[i].weight_error, kWeightBound) << f.name << ", " << f.where[i];
    EXPECT_LT(o[i].w1_ratio, kW1Bound) << f.name << ", " << f.where[i];
  }
}

}  // namespace

TEST(SmcInpaintingFamily, RandomMixturesAndKnownValuesAcrossTheirSupport) {
  for (std::uint32_t seed : {11u, 12u})
    for (auto [dim, known] : std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 1}, {3, 1}, {3, 2}}) {
      const Family f = draw_family(seed, dim, known);
      check(f, 50, "euler-maruyama", 600);
      check(f, 200, "reverse-diffusion", 600);
    }
}

TEST(SmcInpaintingFamily, AThousandSteps) { check(draw_family(13, 2, 1), 1000, "euler-maruyama", 300); }
