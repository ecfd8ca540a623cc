// The fast multistep solvers (dpm-solver++ 2M/3M, unipc) against exact answers:
// - first order, both are DDIM: the same update by two derivations, so the same samples;
// - their convergence order on the probability-flow ODE of the exact mixture score: halving the step multiplies the
//   error by 2^-p, with UniC raising UniP-p to order p + 1 (Zhao et al. 2023, Theorem 3.3);
// - at the exact-sample floor in at most 15 evaluations on the six-mode mixture of pipelines/oracle_fast_samplers.toml:
//   every mode weight within 0.01, sliced W1 within the spread of exact-vs-exact draws (bench/fast_sampler_bench).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include "engine/math/metrics.hpp"
#include "support.hpp"

namespace {

// The pipeline's SDE, data and oracle network.
std::string oracle_tables() { return test::tables_before_sampler("pipelines/oracle_fast_samplers.toml"); }

at::Tensor draw(const std::string& sampler, std::int64_t n, std::int64_t* nfe = nullptr) {
  auto a = test::assembly(oracle_tables() + "\n[sampler]\n" + sampler + "\n");
  scoregen::SilentProgress progress;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
  at::Tensor x = a.sampler->sample(*a.model, {n, 2}, gen, progress, {}).to(at::kDouble);
  if (nfe) *nfe = a.model->nfe();
  return x;
}

// The ODE solution at sigma(eps) from the same start, with `steps` steps of a solver (no final denoising, no
// lowered final orders, so every step has the stated order).
at::Tensor solve(const std::string& sampler, std::int64_t steps) {
  return draw(sampler + fmt::format("\nsteps = {}\nschedule = \"logsnr\"\ndenoise_final = false\nlower_order_final = false", steps), 512);
}

// The median distance of a solution to a 2048-step one (the median: a few trajectories that start near a boundary
// between modes amplify every error and would dominate a maximum).
double error(const std::string& sampler, std::int64_t steps) {
  static const at::Tensor reference = solve("plugin = \"dpm-solver++\"\norder = 3", 2048);
  return (solve(sampler, steps) - reference).norm(2, 1).median().item<double>();
}

// log2 of the error ratio between `steps` and 2 `steps`.
double observed_order(const std::string& sampler, std::int64_t steps) {
  return std::log2(error(sampler, steps) / error(sampler, 2 * steps));
}

}  // namespace

TEST(FastSamplers, FirstOrderDpmSolverAndUniPAreBothDdim) {
  const std::string common = "\nsteps = 12\norder = 1\nschedule = \"logsnr\"\ndenoise_final = false";
  at::Tensor a = draw("plugin = \"dpm-solver++\"" + common, 256);
  at::Tensor b = draw("plugin = \"unipc\"\ncorrector = false" + common, 256);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5);
  // and the corrector changes the result: it is applied
  at::Tensor c = draw("plugin = \"unipc\"" + common, 256);
  EXPECT_GT((a - c).abs().max().item<double>(), 1e-3);
}

TEST(FastSamplers, ConvergenceOrdersOnTheProbabilityFlowOde) {
  struct Case {
    std::string sampler;
    double order;
  };
  for (const Case& c : std::vector<Case>{{"plugin = \"dpm-solver++\"\norder = 1", 1},
                                         {"plugin = \"dpm-solver++\"\norder = 2", 2},
                                         {"plugin = \"dpm-solver++\"\norder = 3", 3},
                                         {"plugin = \"unipc\"\norder = 1\ncorrector = false", 1},
                                         {"plugin = \"unipc\"\norder = 2\ncorrector = false", 2},
                                         {"plugin = \"unipc\"\norder = 1", 2},
                                         {"plugin = \"unipc\"\norder = 2", 3}}) {
    // 12 -> 24 steps: past 30 steps the third-order errors reach float32 rounding
    const double p = observed_order(c.sampler, 12);
    EXPECT_GT(p, c.order - 0.5) << c.sampler;
    EXPECT_LT(p, c.order + 1.0) << c.sampler;
  }
}

TEST(FastSamplers, ReachTheExactSampleFloorInFifteenEvaluations) {
  const std::int64_t n = 16384;
  auto a = test::assembly(oracle_tables() + "\n[sampler]\nplugin = \"unipc\"\n");
  scoregen::Dataset& data = *a.session.data;
  auto exact = [&](std::uint64_t stream) { return test::exact_draws(a.session, stream, n); };
  auto sliced = [&](const at::Tensor& x, const at::Tensor& y) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(5);
    return scoregen::engine::sliced_wasserstein(x, y, 256, g);
  };
  const at::Tensor reference = exact(1);
  double spread = 0;  // the largest of 8 exact-vs-exact values
  for (std::uint64_t k = 0; k < 8; ++k) spread = std::max(spread, sliced(exact(100 + k), reference));
  const at::Tensor weights = at::tensor(data.class_weights(), at::kDouble);
  for (const std::string& sampler : {std::string("plugin = \"unipc\"\nsteps = 12"),
                                     std::string("plugin = \"unipc\"\norder = 2\nsteps = 10"),
                                     std::string("plugin = \"dpm-solver++\"\norder = 3\nschedule = \"logsnr\"\nsteps = 15")}) {
    std::int64_t nfe = 0;
    at::Tensor x = draw(sampler, n, &nfe);
    EXPECT_LE(nfe, 15) << sampler;
    at::Tensor w = at::bincount(data.assign(x), {}, weights.size(0)).to(at::kDouble) / static_cast<double>(n);
    EXPECT_LE((w - weights).abs().max().item<double>(), 0.01) << sampler;
    EXPECT_LE(sliced(x, reference), spread) << sampler << " (exact-vs-exact up to " << spread << ")";
  }
}
