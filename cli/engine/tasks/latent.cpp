// Latent codes: x(eps) -> x(T) and back along the probability-flow ODE, and spherical interpolation.
#include "engine/tasks/latent.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/memory_budget.hpp"
#include "engine/host/record.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "engine/io/image_io.hpp"
#include "engine/math/likelihood.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// The inputs a latent command reads, as its record lists them.
std::vector<RecordInput> latent_inputs(const LatentRequest& r) {
  return {{"checkpoint", r.assembly.checkpoint}, {"data", r.data_file}, {"latent", r.latent}};
}

std::string checked_out(const LatentRequest& r, const char* command) {
  if (r.out.empty()) throw Error(fmt::format("scoregen {}: --out FILE is required", command));
  check_output_extension(r.out);
  check_output_apart("--out", r.out, latent_inputs(r), r.session.pipeline_path);
  return r.out;
}

Assembly load(const LatentRequest& r, const char* command) {
  AssemblyRequest ar = r.assembly;
  ar.command = fmt::format("scoregen {}", command);
  return assemble(open_session(r.session), ar);
}

at::Tensor latent_input(const Assembly& a, const std::string& path) { return as_rows(load_array(path), a.shape, path); }

// The PF-ODE from `from` to `to` for x in batches of `batch` (0: one), dealt to the ranks and summed back.
OdeResult solve(Assembly& a, const at::Tensor& x, std::int64_t batch, bool forward, double rtol, double atol) {
  torch::NoGradGuard guard;
  const ProcessGroup& group = *a.session.group;
  const std::int64_t n = x.size(0), size = batch > 0 ? batch : n;
  at::Tensor y = at::zeros(x.sizes(), at::kFloat);
  at::Tensor nfe = at::zeros({1}, at::kDouble);
  for (std::int64_t i = 0, b = 0; i < n; i += size, ++b) {
    if (!group.mine(b)) continue;
    at::Tensor xb = x.narrow(0, i, std::min(size, n - i)).to(a.session.device);
    OdeResult part = forward ? encode(*a.model, xb, rtol, atol) : decode(*a.model, xb, rtol, atol);
    y.narrow(0, i, xb.size(0)).copy_(part.y.cpu());
    nfe += static_cast<double>(part.nfe);
  }
  std::vector<at::Tensor> sums{y, nfe};
  group.all_reduce_sum(sums);
  OdeResult out;
  out.y = y;
  out.nfe = static_cast<std::int64_t>(nfe.item<double>());
  return out;
}

// The record of an output, written beside it; its text also goes into a PNG.
std::string record_for(const Assembly& a, const LatentRequest& r, const std::string& out) {
  return record_text(a.session, out, latent_inputs(r));
}

Report done(const char* command, const LatentRequest& r, const std::string& out, const std::string& record,
            std::int64_t n, std::int64_t nfe, const std::string& what) {
  Report report;
  report.line(fmt::format("{}: {} -> {} (NFE {}, RK45 rtol {} atol {}; record: {})", command, what, out, nfe, r.rtol,
                          r.atol, record));
  report.field("command", command).field("output", out).field("record", record).field("num", n).field("nfe", nfe)
      .field("rtol", r.rtol).field("atol", r.atol);
  return report;
}

}  // namespace

Report encode(const LatentRequest& r) {
  const std::string out = checked_out(r, "encode");
  Assembly a = load(r, "encode");
  at::Tensor x = load_examples(a.session, r.data_file, r.num, a.shape);
  if (r.num_given && x.size(0) < r.num)
    throw Error(fmt::format("--num {}: {} holds {} examples", r.num,
                            r.data_file.empty() ? a.session.pipeline->source() + "'s [data]" : r.data_file, x.size(0)));
  // every example's state is held through the solve, several times over by RK45's stages
  require_memory_for(static_cast<double>(r.batch > 0 ? std::min(r.batch, x.size(0)) : x.size(0)) * 8, a.shape,
                     "encode: the examples of one solve (--batch-size), with RK45's stages");
  OdeResult res = solve(a, x, r.batch, true, r.rtol, r.atol);
  if (!a.session.group->root()) return {};
  PictureOptions picture;
  picture.record = record_for(a, r, out);
  save_samples(res.y, out, -1, 1, picture);
  return done("encode", r, out, write_record(out, picture.record), x.size(0), res.nfe, fmt::format("{} examples", x.size(0)));
}

Report decode(const LatentRequest& r) {
  const std::string out = checked_out(r, "decode");
  Assembly a = load(r, "decode");
  at::Tensor z = latent_input(a, r.latent);
  OdeResult res = solve(a, z, r.batch, false, r.rtol, r.atol);
  if (!a.session.group->root()) return {};
  PictureOptions picture;
  picture.record = record_for(a, r, out);
  a.mapping.save(res.y, out, picture);
  return done("decode", r, out, write_record(out, picture.record), z.size(0), res.nfe, fmt::format("{} latents", z.size(0)));
}

Report interpolate(const LatentRequest& r) {
  const std::string out = checked_out(r, "interpolate");
  Assembly a = load(r, "interpolate");
  at::Tensor z = latent_input(a, r.latent);
  if (r.from < 0 || r.to < 0 || r.from >= z.size(0) || r.to >= z.size(0))
    throw Error(fmt::format("--from/--to must be rows of the {} latents", z.size(0)));
  if (r.points < 2) throw Error("--points must be >= 2");
  require_memory_for(static_cast<double>(r.points) * 8, a.shape, "--points: the path's points, with RK45's stages");
  at::Tensor path = slerp(z[r.from], z[r.to], at::linspace(0.0, 1.0, r.points, at::kDouble));
  OdeResult res = solve(a, path, r.batch, false, r.rtol, r.atol);
  if (!a.session.group->root()) return {};
  at::Tensor x = res.y;
  PictureOptions picture;
  picture.record = record_for(a, r, out);
  picture.nrow = static_cast<int>(r.points);  // images: one strip
  picture.path = true;                         // 2-D data: the path drawn through the points
  a.mapping.save(x, out, picture);
  return done("interpolate", r, out, write_record(out, picture.record), r.points, res.nfe,
              fmt::format("{} points between latents {} and {}", r.points, r.from, r.to));
}

}  // namespace scoregen::engine
