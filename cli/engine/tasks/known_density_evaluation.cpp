// Evaluation against a known density: mode weights, sliced Wasserstein-1, likelihood against the exact one.
#include "engine/tasks/known_density_evaluation.hpp"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/math/bits_per_dim.hpp"
#include "engine/math/metrics.hpp"
#include "engine/tasks/sampling.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

Report evaluate_known_density(Assembly& a, std::int64_t num, std::int64_t batch, std::int64_t nll_num) {
  Session& s = a.session;
  Dataset& data = *s.data;
  const std::vector<double> exact = data.class_weights();
  Drawn drawn = draw_samples(a, num, batch, Stream::EvalSamples);
  const at::Tensor samples = a.mapping.to_data(drawn.samples).to(at::kDouble);
  const std::int64_t k = static_cast<std::int64_t>(exact.size());
  at::Tensor counts = at::bincount(data.assign(samples), {}, k).to(at::kDouble);
  at::Tensor w = counts / static_cast<double>(num);
  std::vector<double> weights(w.data_ptr<double>(), w.data_ptr<double>() + k), errors;
  std::vector<std::string> shown;
  double worst = 0;
  for (std::int64_t i = 0; i < k; ++i) {
    const auto j = static_cast<std::size_t>(i);
    errors.push_back(std::sqrt(weights[j] * (1 - weights[j]) / static_cast<double>(num)));  // binomial standard error
    shown.push_back(fmt::format("{:.3f} +- {:.3f} (exact {:.3f})", weights[j], errors[j], exact[j]));
    worst = std::max(worst, std::abs(weights[j] - exact[j]));
  }
  // Two independent blocks of fresh data draws: one to compare with, one for the floor.
  BatchRandom rng = s.batch_random(Stream::EvalExactDraws, 2 * num);
  const at::Tensor fresh = data.sample(rng).x.to(at::kDouble).reshape({2 * num, -1});
  const at::Tensor flat = samples.reshape({num, -1});
  const double sw = sliced_wasserstein(flat, fresh.narrow(0, 0, num), 256, s.generator(Stream::EvalSlicedProjections));
  const double floor = sliced_wasserstein(fresh.narrow(0, num, num), fresh.narrow(0, 0, num), 256, s.generator(Stream::EvalSlicedProjections));

  Report report;
  report.line(fmt::format("samples: {} with {} (NFE {} per batch of {})", num, a.sampler->describe(), drawn.nfe_per_batch, batch))
      .timing(fmt::format("sampling time: {:.1f} s", drawn.seconds))
      .line(fmt::format("mode weights of the samples (each assigned to its most probable component): {}",
                        fmt::join(shown, ", ")))
      .line(fmt::format("largest mode-weight error: {:.3f}", worst))
      .line(fmt::format("sliced Wasserstein-1 distance to {} data draws: {:.4f} (between two sets of {} data draws: {:.4f})",
                        num, sw, num, floor));
  report.field("command", "eval").field("num", num);
  add_sampling_fields(report, a, drawn);
  report.field("mode_weights", weights).field("mode_weight_errors", errors).field("exact_weights", exact)
      .field("largest_mode_weight_error", worst).field("sliced_wasserstein", sw).field("sliced_wasserstein_floor", floor);
  if (nll_num > 0 && a.network->consistency_sigma_min() > 0) {
    report.line("negative log-likelihood: - (a consistency function has no score, so no probability-flow ODE to integrate)");
  } else if (nll_num > 0 && !s.sde->is_discrete()) {
    BatchRandom draws = s.batch_random(Stream::EvalNllExamples, nll_num);
    at::Tensor x = data.sample(draws).x;
    BitsPerDimOptions o;
    o.batch = nll_num, o.progress = false;
    a.model->reset_nfe();
    BitsPerDim b = bits_per_dim(a, x, o, Stream::EvalNll);
    const auto [mean, se] = BitsPerDim::mean_se(-b.logp);
    at::Tensor x64 = x.to(at::kDouble);
    const at::Tensor one = at::ones({nll_num}, x64.options()), zero = at::zeros({nll_num}, x64.options());
    const auto [exact_mean, exact_se] = BitsPerDim::mean_se(-data.exact_log_prob(x64, one, zero));
    report.line(fmt::format("negative log-likelihood of {} data draws: {:.4f} +- {:.4f} nats (probability-flow ODE, RK45 "
                            "rtol {} atol {}, NFE {}); exact: {:.4f} +- {:.4f} nats", nll_num, mean, se, o.ode.rtol,
                            o.ode.atol, b.nfe, exact_mean, exact_se));
    report.field("nll_nats", mean).field("nll_nats_se", se).field("exact_nll_nats", exact_mean).field("nll_nfe", b.nfe)
        .field("nll_rtol", o.ode.rtol).field("nll_atol", o.ode.atol);
  }
  return report;
}

}  // namespace scoregen::engine
