// `scoregen nll`: exact log-likelihood and bits/dim through the probability-flow ODE.
#include "engine/nll.hpp"

#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/bits_per_dim.hpp"
#include "engine/files.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

int nll(const NllRequest& request) {
  Session session = open_session(request.session);
  const Options& cfg = session.pipeline->options("nll");
  const std::string& csv = request.csv;
  if (!csv.empty() && std::filesystem::path(csv).has_parent_path() &&
      !std::filesystem::is_directory(std::filesystem::path(csv).parent_path()))
    throw Error(fmt::format("{}: the folder does not exist", csv));
  require_continuous_time(*session.sde, "scoregen nll");
  BitsPerDimOptions o;
  o.ode.rtol = cfg.real("rtol"), o.ode.atol = cfg.real("atol"), o.ode.divergence = cfg.string("divergence");
  o.ode.n_probes = cfg.integer("n_probes");
  o.batch = cfg.integer("batch_size");
  o.dequantize = cfg.integer("dequantize");
  o.eight_bit = session.data && session.data->bits() == 8 && request.data_file.empty();
  if (!o.eight_bit && o.dequantize > 0) cfg.fail("dequantize", "dequantization applies to 8-bit image data only");

  Assembly a = assemble(std::move(session), request.assembly);
  at::Tensor data = load_examples(a.session, request.data_file, cfg.integer("num"), a.shape);
  fmt::print(stderr, "nll: {} examples, divergence {}{}, RK45 rtol {} atol {}\n", data.size(0), o.ode.divergence,
             o.ode.divergence == "exact" ? "" : fmt::format(" ({} probe(s))", o.ode.n_probes), o.ode.rtol, o.ode.atol);
  BitsPerDim r = bits_per_dim(a, data, o, 21);
  if (!a.session.group->root()) return 0;  // rank 0 writes and reports
  if (!csv.empty()) {
    std::string text = "index,log_likelihood_nats,bits_per_dim\n";
    for (std::int64_t i = 0; i < r.logp.size(0); ++i)
      text += fmt::format("{},{:.8g},{:.8g}\n", i, r.logp[i].item<double>(), r.bpd[i].item<double>());
    write_file_atomic(csv, text);
  }
  const auto [lmean, lse] = BitsPerDim::mean_se(r.logp);
  const auto [bmean, bse] = BitsPerDim::mean_se(r.bpd);
  fmt::print("convention: {}\n", r.convention);
  fmt::print("log-likelihood: {:.6f} +- {:.6f} nats per example (mean +- standard error, {} examples)\n", lmean, lse,
             r.logp.size(0));
  fmt::print("bits/dim: {:.6f} +- {:.6f}\n", bmean, bse);
  fmt::print("NFE: {} in total, wall time {:.2f} s\n", r.nfe, r.seconds);
  return 0;
}

}  // namespace scoregen::engine
