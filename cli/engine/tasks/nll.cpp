// `scoregen nll`: exact log-likelihood and bits/dim through the probability-flow ODE.
#include "engine/tasks/nll.hpp"

#include <cmath>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/record.hpp"
#include "engine/io/files.hpp"
#include "engine/math/bits_per_dim.hpp"
#include "engine/tasks/sampling.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

Report nll(const NllRequest& request) {
  Session session = open_session(request.session);
  const Options& cfg = session.pipeline->options("nll");  // for errors naming a key's position
  const NllSettings settings = settings_of<NllSettings>(cfg);
  const std::string& csv = request.csv;
  if (!csv.empty() && std::filesystem::path(csv).has_parent_path() &&
      !std::filesystem::is_directory(std::filesystem::path(csv).parent_path()))
    throw Error(fmt::format("{}: the folder does not exist", csv));
  if (!csv.empty() && extension(csv) != ".csv")
    throw Error(fmt::format("--out {}: nll writes its per-example table as CSV text; name it .csv", csv));
  std::vector<RecordInput> inputs = checkpoint_inputs(request.assembly);
  inputs.push_back({"data", request.data_file});
  check_output_apart("--out", csv, inputs, request.session.pipeline_path);
  require_continuous_time(*session.sde, "scoregen nll");
  BitsPerDimOptions o;
  o.ode.rtol = settings.rtol, o.ode.atol = settings.atol, o.ode.divergence = settings.divergence;
  o.ode.n_probes = settings.n_probes;
  if (o.ode.divergence == "exact" && !holds_default("nll", cfg, "n_probes"))
    cfg.fail("n_probes", "the exact divergence draws no probes (n_probes counts Hutchinson's probes)");
  o.batch = settings.batch_size;
  o.eight_bit = session.data && session.data->bits() == 8 && request.data_file.empty();
  // "auto": 8-bit data are dequantized with one draw, as published figures are; continuous data are not. A count
  // of draws on continuous data is an error rather than ignored.
  if (settings.dequantize.automatic) {
    o.dequantize = o.eight_bit ? 1 : 0;
  } else {
    const double draws = settings.dequantize.value;
    if (draws != std::floor(draws)) cfg.fail("dequantize", "a whole number of draws (or \"auto\")");
    o.dequantize = static_cast<std::int64_t>(draws);
    if (!o.eight_bit && o.dequantize > 0)
      cfg.fail("dequantize", request.data_file.empty() ? "dequantization applies to 8-bit image data only"
                                                       : "--data examples are taken as continuous: no dequantization");
  }

  Assembly a = assemble(std::move(session), request.assembly);
  at::Tensor data = load_examples(a.session, request.data_file, settings.num, a.shape);
  if (data.size(0) < settings.num && !holds_default("nll", cfg, "num"))
    cfg.fail("num", fmt::format("{} examples were asked for, and {} holds {}", settings.num,
                                request.data_file.empty() ? a.session.pipeline->source() + "'s [data]" : request.data_file,
                                data.size(0)));
  fmt::print(stderr, "nll: {} examples, divergence {}{}, RK45 rtol {} atol {}\n", data.size(0), o.ode.divergence,
             o.ode.divergence == "exact" ? "" : fmt::format(" ({} probe(s))", o.ode.n_probes), o.ode.rtol, o.ode.atol);
  BitsPerDim r = bits_per_dim(a, data, o, Stream::NllDequantization);
  Report report;
  if (!a.session.group->root()) return report;  // rank 0 writes and reports
  std::string record;
  if (!csv.empty()) {
    std::string text = "index,log_likelihood_nats,bits_per_dim\n";
    for (std::int64_t i = 0; i < r.logp.size(0); ++i)
      text += fmt::format("{},{:.8g},{:.8g}\n", i, r.logp[i].item<double>(), r.bpd[i].item<double>());
    write_file_atomic(csv, text);
    record = write_record(csv, record_text(a.session, csv, inputs));
  }
  const auto [lmean, lse] = BitsPerDim::mean_se(r.logp);
  const auto [bmean, bse] = BitsPerDim::mean_se(r.bpd);
  report.line(fmt::format("convention: {}", r.convention))
      .line(fmt::format("log-likelihood: {:.6f} +- {:.6f} nats per example (mean +- standard error, {} examples)", lmean,
                        lse, r.logp.size(0)))
      .line(fmt::format("bits/dim: {:.6f} +- {:.6f}", bmean, bse))
      .line(fmt::format("NFE: {} in total, wall time {:.2f} s", r.nfe, r.seconds));
  if (!csv.empty()) report.line(fmt::format("per example: {} (record: {})", csv, record));
  report.field("command", "nll").field("num", r.logp.size(0)).field("log_likelihood", lmean)
      .field("log_likelihood_se", lse).field("bits_per_dim", bmean).field("bits_per_dim_se", bse)
      .field("convention", r.convention).field("seed", a.session.seed).field("nfe", r.nfe)
      .field("divergence", o.ode.divergence).field("rtol", o.ode.rtol).field("atol", o.ode.atol);
  if (!csv.empty()) report.field("output", csv).field("record", record);
  return report;
}

}  // namespace scoregen::engine
