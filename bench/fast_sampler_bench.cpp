// NFE versus quality for every fast sampler and time-step schedule on the exact score of the six-mode mixture of
// pipelines/oracle_fast_samplers.toml (16384 samples): the largest mode-weight error and the sliced W1 distance to
// exact draws, against the spread of sliced W1 between independent sets of exact draws. Prints a table and writes
// the curves to a PNG (argument 1, default fast_samplers.png).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "engine/io/line_plot.hpp"
#include "engine/math/metrics.hpp"
#include "scoregen/gaussian_mixture.hpp"
#include "support.hpp"

namespace {

const std::int64_t kSamples = 16384;

// Sliced W1 over 256 fixed directions (the same for every sampler).
double sliced_w1(const at::Tensor& x, const at::Tensor& exact) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(5);
  return scoregen::engine::sliced_wasserstein(x, exact, 256, g);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string png = argc > 1 ? argv[1] : "fast_samplers.png";
  const std::string tables = test::tables_before_sampler("pipelines/oracle_fast_samplers.toml");
  auto oracle = test::assembly(tables + "\n[sampler]\nplugin = \"unipc\"\n");
  scoregen::Dataset& data = *oracle.session.data;
  auto draws = [&](std::uint64_t stream) { return test::exact_draws(oracle.session, stream, kSamples); };
  const at::Tensor exact = draws(1);
  const at::Tensor weights = at::tensor(data.class_weights(), at::kDouble);
  // the spread of the measure between exact draws: 16 further independent sets against the reference set
  std::vector<double> floor;
  for (std::uint64_t k = 0; k < 16; ++k) floor.push_back(sliced_w1(draws(100 + k), exact));
  std::sort(floor.begin(), floor.end());
  double mean = 0;
  for (double f : floor) mean += f / static_cast<double>(floor.size());
  fmt::print("Oracle: the six-mode mixture of pipelines/oracle_fast_samplers.toml (VP SDE), {} samples.\n", kSamples);
  fmt::print("Exact draws against exact draws, 16 independent sets: sliced W1 mean {:.4f}, range {:.4f} .. {:.4f}.\n",
             mean, floor.front(), floor.back());
  fmt::print("'at the floor': sliced W1 <= {:.4f} (the largest exact-vs-exact value) and every mode weight within 0.01.\n\n",
             floor.back());

  struct Sampler {
    std::string name, table;
  };
  const std::vector<Sampler> samplers = {
      {"dpm-solver++ 2M", "plugin = \"dpm-solver++\""},
      {"dpm-solver++ 3M", "plugin = \"dpm-solver++\"\norder = 3"},
      {"dpm-solver++ 3M, no final denoising", "plugin = \"dpm-solver++\"\norder = 3\ndenoise_final = false"},
      {"unipc-3 bh1", "plugin = \"unipc\"\nvariant = \"bh1\""},
      {"unipc-3 bh2", "plugin = \"unipc\"\nvariant = \"bh2\""},
      {"unipc-2 bh2", "plugin = \"unipc\"\norder = 2"},
      {"unipc-3 bh2, final denoising", "plugin = \"unipc\"\ndenoise_final = true"},
      {"heun-edm", "plugin = \"heun-edm\""},
  };
  const std::vector<std::string> schedules = {"edm", "logsnr", "time-uniform", "quadratic"};
  const std::vector<std::int64_t> nfes = {6, 8, 10, 12, 15, 20, 25, 30};
  std::vector<scoregen::engine::Panel> panels;
  fmt::print("| sampler | schedule | NFE | max weight error | sliced W1 | at the floor |\n|---|---|---|---|---|---|\n");
  for (const Sampler& s : samplers) {
    scoregen::engine::Panel panel;
    panel.name = s.name + ": sliced W1";
    panel.reference = floor.back();
    for (const std::string& schedule : schedules) {
      scoregen::engine::Curve curve;
      curve.legend = schedule;
      for (std::int64_t nfe : nfes) {
        const bool heun = s.table.find("heun") != std::string::npos;
        const std::int64_t steps = heun ? nfe / 2 : nfe;  // heun-edm: N steps are 2N - 1 evaluations
        auto a = test::assembly(tables + "\n[sampler]\n" + s.table + fmt::format("\nsteps = {}\nschedule = \"{}\"\n", steps, schedule));
        scoregen::SilentProgress progress;
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
        at::Tensor x = a.sampler->sample(*a.model, {kSamples, 2}, gen, progress, {}).to(at::kDouble);
        at::Tensor assigned = data.assign(x);
        at::Tensor w = at::bincount(assigned, {}, weights.size(0)).to(at::kDouble) / static_cast<double>(kSamples);
        const double werr = (w - weights).abs().max().item<double>();
        const double sw = sliced_w1(x, exact);
        fmt::print("| {} | {} | {} | {:.3f} | {:.4f} | {} |\n", s.name, schedule, a.model->nfe(), werr, sw,
                   sw <= floor.back() && werr <= 0.01 ? "yes" : "");
        curve.x.push_back(static_cast<double>(a.model->nfe()));
        curve.y.push_back(sw);
      }
      panel.curves.push_back(curve);
    }
    panels.push_back(panel);
  }
  scoregen::engine::save_line_plots(panels, "NFE (network evaluations)",
                                    "sliced W1 to exact draws vs NFE (dashed: the largest exact-vs-exact value)", png);
  fmt::print("\nCurves: {}\n", png);
}
