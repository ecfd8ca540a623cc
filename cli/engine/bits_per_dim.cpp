// bits/dim = -log p / (D ln 2) + offset, with optional uniform dequantization of 8-bit data
// (Song et al. 2021, app. D.2; docs/formulas.md "Likelihood").
#include "engine/bits_per_dim.hpp"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/progress_bar.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

std::pair<double, double> BitsPerDim::mean_se(const at::Tensor& v) {
  const double n = static_cast<double>(v.size(0));
  return {v.mean().item<double>(), n > 1 ? v.std().item<double>() / std::sqrt(n) : 0.0};
}

BitsPerDim bits_per_dim(Assembly& a, const at::Tensor& examples, const BitsPerDimOptions& o, at::Generator& gen) {
  const Session& s = a.session;
  require_continuous_time(*s.sde, "the likelihood");
  BitsPerDim r;
  const bool symmetric = a.mapping.range().first < 0;
  r.convention = "continuous data: bits/dim = -log p / (D ln 2), no offset";
  if (o.eight_bit) {
    if (s.data && s.data->logit_lambda() > 0)
      throw Error("the likelihood of a logit-transformed image set is not supported: use scale = \"unit\" or \"symmetric\"");
    if (o.dequantize > 0) {
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
  const std::int64_t start_nfe = a.model->nfe();
  const std::int64_t n = examples.size(0), reps = o.dequantize > 0 ? o.dequantize : 1;
  ProgressBar progress("nll", (n + o.batch - 1) / o.batch * reps, o.progress && !s.quiet);
  std::int64_t done = 0;
  std::vector<at::Tensor> logps;
  for (std::int64_t k = 0; k < reps; ++k) {
    std::vector<at::Tensor> pass;
    for (std::int64_t i = 0; i < n; i += o.batch) {
      at::Tensor x = examples.narrow(0, i, std::min(o.batch, n - i)).to(s.device);
      if (o.dequantize > 0) x = dequantize_8bit(x, symmetric, gen);
      pass.push_back(log_likelihood(*a.model, x, o.ode, gen).logp.cpu());
      progress.update(++done);
    }
    logps.push_back(at::cat(pass));
  }
  progress.finish();
  r.logp = at::stack(logps).mean(0);  // per example: the mean over dequantization draws
  const double dim = static_cast<double>(examples[0].numel());
  r.bpd = -r.logp / (dim * std::log(2.0)) + r.offset;
  r.nfe = a.model->nfe() - start_nfe;
  r.seconds = clock.seconds();
  return r;
}

}  // namespace scoregen::engine
