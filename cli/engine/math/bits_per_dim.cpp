// bits/dim = -log p / (D ln 2) + offset, with optional uniform dequantization of 8-bit data
// (Song et al. 2021, app. D.2; docs/formulas.md "Likelihood").
#include "engine/math/bits_per_dim.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/io/progress_bar.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

std::pair<double, double> BitsPerDim::mean_se(const at::Tensor& v) {
  const double n = static_cast<double>(v.size(0));
  return {v.mean().item<double>(), n > 1 ? v.std().item<double>() / std::sqrt(n) : 0.0};
}

BitsPerDim bits_per_dim(Assembly& a, const at::Tensor& examples, const BitsPerDimOptions& o, Stream stream) {
  const Session& s = a.session;
  require_continuous_time(*s.sde, "the likelihood");
  BitsPerDim r;
  const bool symmetric = a.mapping.range().first < 0;
  r.convention = "continuous data: bits/dim = -log p / (D ln 2), no offset";
  if (o.eight_bit) {
    if (s.data && s.data->logit_lambda() > 0)
      throw Error("the likelihood of a logit-transformed image set is not supported: use scale = \"unit\" or \"symmetric\"");
    if (o.dequantized) {
      r.offset = bits_per_dim_offset(symmetric);
      r.convention = fmt::format("8-bit data dequantized already ((k + U) / 256, as score_sde's likelihood takes them), "
                                 "scaled to {}: bits/dim = -log p / (D ln 2) + {}",
                                 symmetric ? "[-1, 1]" : "[0, 1]", r.offset);
    } else if (o.dequantize > 0) {
      r.offset = bits_per_dim_offset(symmetric);
      r.convention = fmt::format("8-bit data uniformly dequantized ((x 255 + U) / 256, {} draw(s) per example), scaled to "
                                 "{}: bits/dim = -log p / (D ln 2) + {}",
                                 o.dequantize, symmetric ? "[-1, 1]" : "[0, 1]", r.offset);
    } else {
      r.convention = "8-bit data WITHOUT dequantization: the density of a discrete set is unbounded, so this bits/dim is "
                     "not comparable with published figures (set [nll] dequantize = 1 or more)";
    }
  } else if (o.dequantize > 0) {
    throw Error("dequantization applies to 8-bit image data only");
  }
  Stopwatch clock;
  const ProcessGroup& group = *s.group;
  const std::int64_t start_nfe = a.model->nfe();
  const std::int64_t n = examples.size(0), reps = o.dequantize > 0 ? o.dequantize : 1;
  const std::int64_t batch = std::min(o.batch, n), batches = (n + batch - 1) / batch;
  ProgressBar progress("nll", (batches * reps + group.world() - 1 - group.rank()) / group.world(), o.progress && !s.quiet);
  std::int64_t done = 0;
  at::Tensor logps = at::zeros({reps, n}, at::kDouble);  // other ranks' batches stay 0 until the sum
  for (std::int64_t k = 0; k < reps; ++k) {
    for (std::int64_t b = 0; b < batches; ++b) {
      const std::int64_t item = k * batches + b;
      if (!group.mine(item)) continue;
      at::Generator gen = s.generator(stream, static_cast<std::uint64_t>(item));
      const std::int64_t i = b * batch, m = std::min(batch, n - i);
      at::Tensor x = examples.narrow(0, i, m).to(s.device);
      if (o.dequantize > 0) x = dequantize_8bit(x, symmetric, gen);
      LikelihoodOptions ode = o.ode;
      if (ode.probes.defined()) ode.probes = ode.probes.narrow(1, i, m);  // the given probes of these examples
      logps[k].narrow(0, i, m).copy_(log_likelihood(*a.model, x, ode, gen).logp.cpu());
      progress.update(++done);
    }
  }
  progress.finish();
  at::Tensor nfe = at::full({1}, static_cast<double>(a.model->nfe() - start_nfe), at::kDouble);
  std::vector<at::Tensor> sums{logps, nfe};
  group.all_reduce_sum(sums);
  r.logp = logps.mean(0);  // per example: the mean over dequantization draws
  const double dim = static_cast<double>(examples[0].numel());
  r.bpd = -r.logp / (dim * std::log(2.0)) + r.offset;
  r.nfe = static_cast<std::int64_t>(nfe.item<double>());
  r.seconds = clock.seconds();
  return r;
}

}  // namespace scoregen::engine
