// Sequential Monte Carlo class guidance against the exact class-conditional law of a Gaussian-mixture oracle:
// with class = component, p(x | y = k) is component k itself. A miscalibrated classifier (overconfident at high
// noise, exact on clean data) biases gradient guidance; SMC with the same classifier as twist targets
// p(x) p(y | x), which is component k again, and gets there as the particles grow.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include <ATen/ATen.h>

#include "engine/math/metrics.hpp"
#include "engine/math/smc_guidance.hpp"
#include "mixture_oracle.hpp"
#include "scoregen/guidance.hpp"
#include "support.hpp"

namespace {

// Three overlapping components: the class posterior is far from 0 or 1 across much of the plane.
const test::Mixture kThree{{0.5, 0.3, 0.2}, {{-1.0, 0.0}, {1.5, 0.5}, {0.0, 2.0}}, {1.0, 0.6, 0.8}};
const std::int64_t kSteps = 100;
const std::int64_t kClass = 1;

std::string pipeline() {
  return "[sde]\nplugin = \"vp\"\nN = " + std::to_string(kSteps) + "\n[network]\nplugin = \"gaussian-mixture\"\n" +
         kThree.toml() + "[guidance]\nplugin = \"mixture-posterior\"\n" + kThree.toml() +
         "[sampler]\nplugin = \"pc\"\npredictor = \"reverse-diffusion\"\ncorrector = \"none\"\n";
}

// n exact draws of component k.
at::Tensor exact_component(std::int64_t k, std::int64_t n, std::uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor mu = at::tensor(kThree.means[static_cast<std::size_t>(k)], at::kDouble);
  return mu + kThree.stds[static_cast<std::size_t>(k)] * at::randn({n, 2}, gen, at::kDouble);
}

double w1(const at::Tensor& a, const at::Tensor& b) {
  return scoregen::engine::sliced_wasserstein(a.to(at::kDouble), b, 64, at::make_generator<at::CPUGeneratorImpl>(0));
}

// The largest sliced W1 between two independent sets of n exact draws over six seeds: the exact-sample floor.
double floor_w1(std::int64_t n) {
  double worst = 0;
  for (std::uint64_t s = 0; s < 6; ++s)
    worst = std::max(worst, w1(exact_component(kClass, n, 100 + 2 * s), exact_component(kClass, n, 101 + 2 * s)));
  return worst;
}

struct Draws {
  at::Tensor x;
  scoregen::engine::SmcSummary summary;
  std::int64_t nfe = 0;
};

// n draws of class kClass by SMC with k particles each, with the exact or an overconfident classifier.
Draws smc(std::shared_ptr<scoregen::Guidance> classifier, std::int64_t n, std::int64_t k, std::uint64_t seed) {
  auto a = test::assembly(pipeline());
  if (!classifier) classifier = scoregen::engine::load_guidance(a.session, "", "test");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  scoregen::engine::SmcGuidance guided(*a.session.sde, classifier, at::full({n}, kClass, at::kLong), 1.0, k, 0.5,
                                       a.session.sde->sample_eps(), gen);
  scoregen::SilentProgress progress;
  at::Tensor x = a.sampler->sample(*a.model, {n * k, 2}, gen, progress, guided.hooks());
  return {guided.select(x), guided.summary(), a.model->nfe()};
}

// n draws by gradient guidance (the classifier's gradient joins the score).
at::Tensor gradient_guided(std::shared_ptr<scoregen::Guidance> classifier, std::int64_t n, std::uint64_t seed) {
  auto a = test::assembly(pipeline());
  a.model->set_guidance(std::move(classifier), at::full({n}, kClass, at::kLong), 1.0);
  scoregen::SilentProgress progress;
  return a.sampler->sample(*a.model, {n, 2}, at::make_generator<at::CPUGeneratorImpl>(seed), progress, {});
}

std::shared_ptr<scoregen::Guidance> overconfident() {
  return std::make_shared<test::OverconfidentPosterior>(kThree, test::sde("vp"), 1.0);
}

}  // namespace

TEST(SmcGuidance, CorrectsAMiscalibratedClassifierWhereGradientGuidanceIsOff) {
  const std::int64_t n = 4000;
  const double floor = floor_w1(n);
  const at::Tensor exact = exact_component(kClass, n, 7);
  const double gradient = w1(gradient_guided(overconfident(), n, 1), exact);
  const double one = w1(smc(overconfident(), n, 1, 1).x, exact);
  Draws d = smc(overconfident(), n, 64, 1);
  const double many = w1(d.x, exact);
  std::printf("overconfident classifier, class %lld: sliced W1 to the exact component: gradient guidance %.4f, smc 1 "
              "particle %.4f, 64 particles %.4f (floor %.4f); min ESS %.2f, %lld resamplings in %lld moves\n",
              static_cast<long long>(kClass), gradient, one, many, floor, d.summary.min_ess,
              static_cast<long long>(d.summary.resamplings), static_cast<long long>(d.summary.moves));
  EXPECT_GT(gradient, 3 * floor);  // the miscalibrated classifier's bias, far outside the sampling error
  EXPECT_LT(many, 2 * floor);
  EXPECT_LT(many, one / 2);
  EXPECT_EQ(d.summary.moves, kSteps);
  EXPECT_EQ(d.nfe, kSteps);                // one evaluation of the whole batch of particles per step
}

TEST(SmcGuidance, AnExactClassifierLeavesLittleToCorrect) {
  const std::int64_t n = 4000;
  Draws d = smc(nullptr, n, 16, 2);
  const double distance = w1(d.x, exact_component(kClass, n, 8)), floor = floor_w1(n);
  std::printf("exact classifier, 16 particles: sliced W1 %.4f (floor %.4f); min ESS %.2f, %lld resamplings\n", distance,
              floor, d.summary.min_ess, static_cast<long long>(d.summary.resamplings));
  EXPECT_LT(distance, 2 * floor);
  // gradient guidance is already exact up to discretisation: the weights stay nearly even
  EXPECT_GT(d.summary.min_ess, 8.0);
}

