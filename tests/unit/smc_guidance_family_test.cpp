// Sequential Monte Carlo class guidance on a family of mixtures: three overlapping isotropic components with random
// weights, means and spreads from a seeded generator, class = component, so p(x | y = k) is component k itself.
// Each component is drawn with the exact class posterior as twist and with an overconfident one (logits scaled by
// 1 + t / T), at the default 16 particles, and compared with exact draws of the component by sliced W1. Without the
// weights (one particle: the proposal alone, which is gradient guidance) the overconfident classifier's draws are
// 2.2 times the floor on two of the six components, and the test fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>

#include <ATen/ATen.h>

#include "engine/math/metrics.hpp"
#include "engine/math/smc_guidance.hpp"
#include "mixture_oracle.hpp"
#include "support.hpp"

namespace {

test::Mixture draw_mixture(std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> weight(0.5, 1.5), centre(-2.0, 2.0), spread(0.5, 1.2);
  test::Mixture m;
  double total = 0;
  for (int k = 0; k < 3; ++k) {
    m.weights.push_back(weight(gen));
    total += m.weights.back();
    m.means.push_back({centre(gen), centre(gen)});
    m.stds.push_back(spread(gen));
  }
  for (double& w : m.weights) w /= total;
  return m;
}

at::Tensor exact_component(const test::Mixture& m, std::int64_t k, std::int64_t n, std::uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::tensor(m.means[static_cast<std::size_t>(k)], at::kDouble) +
         m.stds[static_cast<std::size_t>(k)] * at::randn({n, 2}, gen, at::kDouble);
}

double w1(const at::Tensor& a, const at::Tensor& b) {
  return scoregen::engine::sliced_wasserstein(a.to(at::kDouble), b, 64, at::make_generator<at::CPUGeneratorImpl>(0));
}

}  // namespace

TEST(SmcGuidanceFamily, EachComponentOfRandomMixturesWithExactAndOverconfidentClassifiers) {
  const std::int64_t n = 2000, particles = 16, steps = 100;
  for (std::uint32_t seed : {21u, 22u}) {
    const test::Mixture m = draw_mixture(seed);
    const std::string text = "[sde]\nplugin = \"vp\"\nN = " + std::to_string(steps) +
                             "\n[network]\nplugin = \"gaussian-mixture\"\n" + m.toml() +
                             "[guidance]\nplugin = \"mixture-posterior\"\n" + m.toml() +
                             "[sampler]\nplugin = \"pc\"\npredictor = \"reverse-diffusion\"\ncorrector = \"none\"\n";
    for (std::int64_t k = 0; k < 3; ++k) {
      double floor = 0;
      for (std::uint64_t s = 0; s < 6; ++s)
        floor = std::max(floor, w1(exact_component(m, k, n, 100 + 2 * s), exact_component(m, k, n, 101 + 2 * s)));
      for (bool exact : {true, false}) {
        auto a = test::assembly(text);
        std::shared_ptr<scoregen::Guidance> classifier =
            exact ? scoregen::engine::load_guidance(a.session, "", "test")
                  : std::make_shared<test::OverconfidentPosterior>(m, a.session.sde, 1.0);
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed + 10 * static_cast<std::uint64_t>(k));
        scoregen::engine::SmcGuidance guided(*a.session.sde, classifier, at::full({n}, k, at::kLong), 1.0, particles,
                                             0.5, a.session.sde->sample_eps(), gen);
        scoregen::SilentProgress progress;
        at::Tensor x = guided.select(a.sampler->sample(*a.model, {n * particles, 2}, gen, progress, guided.hooks()));
        const double distance = w1(x, exact_component(m, k, n, 7));
        std::printf("seed %u, class %lld, %s classifier: sliced W1 %.4f (floor %.4f, ratio %.2f); ESS smallest %.2f, "
                    "median %.2f\n",
                    seed, static_cast<long long>(k), exact ? "exact" : "overconfident", distance, floor, distance / floor,
                    guided.summary().min_ess, guided.summary().median_ess);
        EXPECT_LT(distance, 2 * floor) << "seed " << seed << ", class " << k << (exact ? ", exact" : ", overconfident");
      }
    }
  }
}
