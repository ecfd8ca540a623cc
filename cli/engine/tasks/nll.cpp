// `scoregen nll`: exact log-likelihood and bits/dim through the probability-flow ODE.
#include "engine/tasks/nll.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/record.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "engine/math/bits_per_dim.hpp"
#include "engine/tasks/sampling.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// --data under data_values = "8-bit": every value an 8-bit level k / 255 of the model's range; "8-bit-dequantized":
// every value in [k / 256, (k + 1) / 256) of it. Anything else would give a wrong bits/dim without a word.
void require_8bit_values(const at::Tensor& x, bool symmetric, bool dequantized, const std::string& file,
                         const std::string& values) {
  const at::Tensor unit = (symmetric ? (x.to(at::kDouble) + 1) / 2 : x.to(at::kDouble));
  const at::Tensor levels = unit * 255.0;
  const double off_grid = dequantized ? 0.0 : (levels - at::round(levels)).abs().max().item<double>();
  const double lo = unit.min().item<double>(), hi = unit.max().item<double>();
  const std::string range = symmetric ? "[-1, 1]" : "[0, 1]";
  if (lo < -1e-6 || hi > 1 + 1e-6)
    throw Error(fmt::format("--data {}: values from {:.4g} to {:.4g} lie outside the model's range {} ([nll] "
                            "data_values = \"{}\")", file, x.min().item<double>(), x.max().item<double>(), range, values));
  if (off_grid > 1e-3)
    throw Error(fmt::format("--data {}: values are not 8-bit levels k / 255 of {} (one is {:.3g} of a level away; "
                            "[nll] data_values = \"8-bit\"): say \"8-bit-dequantized\" or \"continuous\"",
                            file, range, off_grid));
}

// --probes FILE: [N, ...] (one probe) or [K, N, ...], for at least the N examples; the first N are used.
at::Tensor given_probes(const std::string& file, const at::Tensor& data) {
  at::Tensor p = load_array(file).to(at::kFloat);
  if (p.dim() == data.dim()) p = p.unsqueeze(0);
  if (p.dim() != data.dim() + 1 || p.sizes().slice(2) != data.sizes().slice(1) || p.size(1) < data.size(0))
    throw Error(fmt::format("--probes {}: shape [{}] is not [N, {}] or [K, N, {}] for the {} examples", file,
                            fmt::join(p.sizes(), ", "), fmt::join(data.sizes().slice(1), ", "),
                            fmt::join(data.sizes().slice(1), ", "), data.size(0)));
  return p.narrow(1, 0, data.size(0));
}

// The exact divergence's cost, said before it is paid: D backward passes per evaluation, timed on one example and
// scaled to a batch (linear in the batch on a CPU).
void announce_exact_cost(Assembly& a, const at::Tensor& data, std::int64_t batch) {
  const double seconds = exact_divergence_seconds(*a.model, data.narrow(0, 0, 1).to(a.session.device));
  const std::int64_t b = std::min(batch, data.size(0));
  const double per_evaluation = seconds * static_cast<double>(b);
  fmt::print(stderr, "nll: the exact divergence takes {} backward passes per ODE evaluation (Hutchinson's: one per "
             "probe); one evaluation of one example took {:.3g} s here{}, and a solve takes about 80 (rtol 1e-3) to "
             "270 (1e-5) evaluations on the shipped models: at 270, about {:.3g} minutes per batch\n",
             data[0].numel(), seconds, b > 1 ? fmt::format(", so one of a batch of {} about {:.3g} s", b, per_evaluation) : "",
             per_evaluation * 270 / 60);
}

}  // namespace

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
  inputs.push_back({"probes", request.probes_file});
  check_output_apart("--out", csv, inputs, request.session.pipeline_path);
  require_continuous_time(*session.sde, "scoregen nll");
  BitsPerDimOptions o;
  o.ode.rtol = settings.rtol, o.ode.atol = settings.atol, o.ode.divergence = settings.divergence;
  o.ode.n_probes = settings.n_probes;
  if (o.ode.divergence == "exact" && !holds_default("nll", cfg, "n_probes"))
    cfg.fail("n_probes", "the exact divergence draws no probes (n_probes counts Hutchinson's probes)");
  o.batch = settings.batch_size;
  // What the examples are: [data]'s own set says for itself; --data's values are what data_values says
  // (docs/pipelines.md "Likelihood on 8-bit data").
  const std::string& values = settings.data_values;
  if (request.data_file.empty()) {
    o.eight_bit = session.data && session.data->bits() == 8;
    if (values == "8-bit-dequantized" || (values == "8-bit" && !o.eight_bit) || (values == "continuous" && o.eight_bit))
      cfg.fail("data_values", fmt::format("describes the examples of --data; [data]'s own are {}",
                                          o.eight_bit ? "8-bit images" : "continuous"));
  } else {
    o.eight_bit = values == "8-bit" || values == "8-bit-dequantized";
    o.dequantized = values == "8-bit-dequantized";
  }
  // "auto": 8-bit data are dequantized with one draw, as published figures are; continuous data are not. A count
  // of draws on continuous data is an error rather than ignored.
  if (settings.dequantize.automatic) {
    o.dequantize = o.eight_bit && !o.dequantized ? 1 : 0;
  } else {
    const double draws = settings.dequantize.value;
    if (draws != std::floor(draws)) cfg.fail("dequantize", "a whole number of draws (or \"auto\")");
    o.dequantize = static_cast<std::int64_t>(draws);
    if (o.dequantize > 0 && o.dequantized)
      cfg.fail("dequantize", "[nll] data_values = \"8-bit-dequantized\": the examples are dequantized already");
    if (!o.eight_bit && o.dequantize > 0)
      cfg.fail("dequantize", request.data_file.empty()
                                 ? "dequantization applies to 8-bit image data only"
                                 : "--data examples are continuous under [nll] data_values = \"" + values +
                                       "\": set data_values = \"8-bit\" to dequantize 8-bit levels");
  }
  if (!request.probes_file.empty() && o.ode.divergence == "exact")
    throw Error(fmt::format("--probes {}: the exact divergence takes no probes", request.probes_file));

  Assembly a = assemble(std::move(session), request.assembly);
  at::Tensor data = load_examples(a.session, request.data_file, settings.num, a.shape);
  if (data.size(0) < settings.num && !holds_default("nll", cfg, "num"))
    cfg.fail("num", fmt::format("{} examples were asked for, and {} holds {}", settings.num,
                                request.data_file.empty() ? a.session.pipeline->source() + "'s [data]" : request.data_file,
                                data.size(0)));
  if (!request.data_file.empty() && o.eight_bit)
    require_8bit_values(data, a.mapping.range().first < 0, o.dequantized, request.data_file, values);
  if (!request.probes_file.empty()) {
    o.ode.probes = given_probes(request.probes_file, data);
    if (!holds_default("nll", cfg, "n_probes") && o.ode.probes.size(0) != o.ode.n_probes)
      cfg.fail("n_probes", fmt::format("--probes {} holds {}", request.probes_file, o.ode.probes.size(0)));
    o.ode.n_probes = o.ode.probes.size(0);
  }
  fmt::print(stderr, "nll: {} examples, divergence {}{}, RK45 rtol {} atol {}\n", data.size(0), o.ode.divergence,
             o.ode.divergence == "exact" ? ""
             : o.ode.probes.defined()    ? fmt::format(" ({} probe(s) from {})", o.ode.n_probes, request.probes_file)
                                         : fmt::format(" ({} probe(s))", o.ode.n_probes),
             o.ode.rtol, o.ode.atol);
  if (o.ode.divergence == "exact") announce_exact_cost(a, data, o.batch);
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
      .line(fmt::format("NFE: {} in total (RK45 rtol {} atol {}), wall time {:.2f} s", r.nfe, o.ode.rtol, o.ode.atol,
                        r.seconds));
  if (!csv.empty()) report.line(fmt::format("per example: {} (record: {})", csv, record));
  report.field("command", "nll").field("num", r.logp.size(0)).field("log_likelihood", lmean)
      .field("log_likelihood_se", lse).field("bits_per_dim", bmean).field("bits_per_dim_se", bse)
      .field("convention", r.convention).field("seed", a.session.seed).field("nfe", r.nfe)
      .field("divergence", o.ode.divergence).field("n_probes", o.ode.divergence == "exact" ? 0 : o.ode.n_probes)
      .field("rtol", o.ode.rtol).field("atol", o.ode.atol);
  if (!csv.empty()) report.field("output", csv).field("record", record);
  return report;
}

}  // namespace scoregen::engine
