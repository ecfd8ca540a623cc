// The score s(x, t) = ScoreModel::score (the network's prediction turned into a score, Song et al. 2021, eq. 3's
// perturbation kernel), or the network's own output, at every pair of given examples and times.
#include "engine/tasks/score_values.hpp"

#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/record.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "engine/math/dealt_batches.hpp"
#include "scoregen/error.hpp"
#include "scoregen/parameterization.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

Report score_values(const ScoreRequest& r) {
  if (r.data_file.empty()) throw Error("scoregen score: --data FILE is required (the examples, .npy or .pt)");
  if (r.times.empty()) throw Error("scoregen score: -t/--times is required (the times, e.g. -t 0.001,0.1,0.5,1)");
  if (r.out.empty()) throw Error("scoregen score: --out FILE is required (.npy or .pt)");
  if (extension(r.out) != ".npy" && extension(r.out) != ".pt")
    throw Error(fmt::format("--out {}: the scores are an array [T, N, ...]: name it .npy or .pt", r.out));
  if (r.batch < 0) throw Error(fmt::format("--batch-size {}: must be >= 0", r.batch));
  const std::vector<RecordInput> inputs = {{"checkpoint", r.assembly.checkpoint}, {"data", r.data_file}};
  check_output_apart("--out", r.out, inputs, r.session.pipeline_path);
  AssemblyRequest ar = r.assembly;
  ar.command = "scoregen score";
  ar.uses_score = !r.raw;  // a consistency function has an output, not a score
  Assembly a = assemble(open_session(r.session), ar);
  if (r.raw && a.model->guidance())
    throw Error("scoregen score: --raw is the network's own output, and --class guidance changes only the score; "
                "leave out one of them");
  Sde& sde = *a.session.sde;
  for (double t : r.times)
    if (!(t > 0) || t > sde.T())
      throw Error(fmt::format("-t {}: the times lie in (0, T], T = {} for [sde] {}", t, sde.T(),
                              a.session.pipeline->plugin("sde").name));
  at::Tensor x = as_rows(load_array(r.data_file), a.shape, r.data_file);
  const std::int64_t n = x.size(0), k = static_cast<std::int64_t>(r.times.size()), d = x[0].numel();
  const std::int64_t batch = r.batch > 0 ? std::min(r.batch, n) : n;
  torch::NoGradGuard no_grad;
  a.model->reset_nfe();
  // rows i .. i + m of every time, side by side: [m, T * D], dealt to the ranks of a data-parallel run
  at::Tensor rows = rows_in_dealt_batches(*a.session.group, n, batch, [&](std::int64_t i, std::int64_t m) {
    at::Tensor xb = x.narrow(0, i, m).to(a.session.device);
    std::vector<at::Tensor> per_time;
    for (double t : r.times) {
      at::Tensor tb = at::full({m}, t, a.model->options());
      at::Tensor v = r.raw ? a.model->output(xb, tb) : a.model->score(xb, tb);
      per_time.push_back(v.reshape({m, d}));
    }
    return std::vector<at::Tensor>{at::cat(per_time, 1)};
  })[0];
  std::vector<std::int64_t> shape = {n, k};
  shape.insert(shape.end(), a.shape.begin(), a.shape.end());
  at::Tensor values = rows.reshape(shape).transpose(0, 1).contiguous();  // [T, N, ...]
  if (!a.session.group->root()) return {};
  const std::string what = r.raw ? fmt::format("the network's own output ({} prediction)", prediction_name(a.network->predicts()))
                                 : std::string("the score s(x, t)");
  const std::string record = record_text(a.session, r.out, inputs);
  if (extension(r.out) == ".pt") save_pt(values, r.out); else save_npy(values, r.out);
  const std::string record_file = write_record(r.out, record);
  std::vector<double> rms;
  for (std::int64_t j = 0; j < k; ++j) rms.push_back(values[j].pow(2).mean().sqrt().item<double>());
  Report report;
  report.line(fmt::format("score: {} at {} examples x {} times -> {} [{}] (record: {})", what, n, k, r.out,
                          fmt::join(values.sizes(), ", "), record_file))
      .line(fmt::format("t: {}", fmt::join(r.times, ", ")))
      .line(fmt::format("root mean square per t: {:.6g}", fmt::join(rms, ", ")));
  report.field("command", "score").field("output", r.out).field("record", record_file).field("num", n)
      .field("times", r.times).field("rms", rms).field("raw", r.raw)
      .field("values", r.raw ? std::string(prediction_name(a.network->predicts())) : std::string("score"));
  return report;
}

}  // namespace scoregen::engine
