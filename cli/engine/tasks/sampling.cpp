// Batched sampling and the `sample` command.
#include "engine/tasks/sampling.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/memory_budget.hpp"
#include "engine/host/record.hpp"
#include "engine/io/files.hpp"
#include "engine/io/image_io.hpp"
#include "engine/io/progress_bar.hpp"
#include "engine/math/smc_guidance.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

Drawn draw_samples(Assembly& a, std::int64_t num, std::int64_t batch, Stream stream) {
  batch = std::min(batch, num);  // a batch larger than the request is the request (and num + batch cannot overflow)
  torch::NoGradGuard no_grad;
  const Session& s = a.session;
  const ProcessGroup& group = *s.group;
  Drawn d;
  Stopwatch clock;
  const std::int64_t start_nfe = a.model->nfe();
  require_memory_for(static_cast<double>(num), a.shape, "--num (the number of samples)");
  const SmcSettings& smc = a.guidance_smc;
  const std::int64_t particles = smc.on ? smc.particles : 1;
  if (smc.on)
    require_memory_for(static_cast<double>(batch) * static_cast<double>(particles), a.shape,
                       "[sample] batch_size x particles (the particles of a batch are drawn at once)");
  std::vector<std::int64_t> all = a.shape;
  all.insert(all.begin(), num);
  d.samples = at::zeros(all, at::kFloat);  // the rows of other ranks' batches stay 0 until the sum
  d.batches = (num + batch - 1) / batch;
  // per batch under SMC: its figures (kSmcColumns), then its classifier evaluations
  at::Tensor smc_rows = at::zeros({d.batches, kSmcColumns + 1}, at::kDouble);
  for (std::int64_t b = 0; b < d.batches; ++b) {
    if (!group.mine(b)) continue;
    std::vector<std::int64_t> shape = a.shape;
    const std::int64_t n = std::min(batch, num - b * batch);
    shape.insert(shape.begin(), n * particles);
    const std::string label = d.batches > 1 ? fmt::format("sample {}/{}", b + 1, d.batches) : "sample";
    at::Generator gen = s.generator(stream, static_cast<std::uint64_t>(b));
    at::Tensor x;
    if (smc.on) {
      double evaluations = 0;
      x = run_sweeps(smc, gen, [&](const std::string& sweep) {
        ProgressBar progress(label + sweep, a.sampler->steps(*s.sde), !s.quiet);
        SmcGuidance guided(*s.sde, a.guidance, a.smc_labels.expand({n}), a.guidance_scale, particles, smc.ess_threshold,
                           s.sde->sample_eps(), gen);
        at::Tensor draws = guided.select(a.sampler->sample(*a.model, shape, gen, progress, guided.hooks()));
        progress.finish();
        evaluations += static_cast<double>(guided.classifier_evaluations());
        return SmcSweep{draws, guided.log_evidence(), guided.summary()};
      }, smc_rows[b].narrow(0, 0, kSmcColumns));
      smc_rows[b][kSmcColumns] = evaluations;
    } else {
      ProgressBar progress(label, a.sampler->steps(*s.sde), !s.quiet);
      x = a.sampler->sample(*a.model, shape, gen, progress, {});
      progress.finish();
    }
    d.samples.narrow(0, b * batch, n).copy_(x.to(at::kCPU));
  }
  at::Tensor nfe = at::full({1}, static_cast<double>(a.model->nfe() - start_nfe), at::kDouble);
  std::vector<at::Tensor> sums{d.samples, nfe, smc_rows};
  group.all_reduce_sum(sums);
  if (smc.on) {
    d.smc = smc_diagnostics(smc_rows.narrow(1, 0, kSmcColumns), smc, num);
    d.classifier_evaluations = static_cast<std::int64_t>(smc_rows.select(1, kSmcColumns).sum().item<double>());
  }
  if (!at::isfinite(d.samples).all().item<bool>())
    throw Error(fmt::format("sampling produced non-finite values with {} (diverged); nothing was written. Try more "
                            "steps or a smaller snr", a.sampler->describe()));
  d.nfe_per_batch = static_cast<std::int64_t>(nfe.item<double>()) / d.batches;
  d.seconds = clock.seconds();
  return d;
}

std::vector<RecordInput> checkpoint_inputs(const AssemblyRequest& request) {
  return {{"checkpoint", request.checkpoint}, {"guidance-checkpoint", request.guidance_checkpoint}};
}

void add_sampling_fields(Report& report, const Assembly& a, const Drawn& d) {
  report.field("sampler", a.sampler->describe()).field("steps", a.sampler->steps(*a.session.sde))
      .field("seed", a.session.seed).field("nfe_per_batch", d.nfe_per_batch).field("batches", d.batches)
      .field("nfe", d.nfe_per_batch * d.batches).field("sample_seconds", d.seconds);
}

Report sample(const SampleRequest& request) {
  Session session = open_session(request.session);
  const Options& cfg = session.pipeline->options("sample");
  const SampleSettings settings = settings_of<SampleSettings>(cfg);
  const std::int64_t num = settings.num, batch = settings.batch_size;
  const std::string out = settings.out;
  check_output_extension(out);
  const std::vector<RecordInput> inputs = checkpoint_inputs(request.assembly);
  check_output_apart("--out", out, inputs, request.session.pipeline_path);
  AssemblyRequest ar = request.assembly;
  ar.guidance_smc = read_smc_settings("sample", cfg, "guidance");
  Assembly a = assemble(std::move(session), ar);
  if (ar.guidance_smc.on) require_gaussian_draws(a.session, *a.sampler, "[sample] guidance = \"smc\"");
  check_picture_options(request.picture, out, a.shape);
  PictureOptions picture = request.picture;
  if (request.overlay) {
    if (!a.session.data || a.shape != std::vector<std::int64_t>{2})
      throw Error("--overlay draws the [data] beneath a scatter plot of 2-D samples; this pipeline has none");
    if (extension(out) != ".png")
      throw Error(fmt::format("--overlay draws the data beneath a scatter plot; {} is written as an array: drop it, or "
                              "write a .png", out));
    BatchRandom rng = a.session.batch_random(Stream::OverlayData, std::min<std::int64_t>(num, 4000));
    picture.overlay = a.mapping.to_data(a.session.data->sample(rng).x);
  }
  Drawn d = draw_samples(a, num, batch, Stream::Samples);
  Report report;
  if (!a.session.group->root()) return report;  // rank 0 writes the one output
  picture.record = record_text(a.session, out, inputs);
  if (a.guidance_smc.on) picture.record += smc_record_entry(d.smc);
  a.mapping.save(d.samples, out, picture);
  const std::string record = write_record(out, picture.record);
  const bool split = !picture.grid && extension(out) == ".png" && a.shape.size() == 3;
  const std::string written = split ? fmt::format("{} .. {}", numbered(out, 0), numbered(out, num - 1)) : out;
  report.line(fmt::format("sampler: {}", a.sampler->describe()))
      .line(fmt::format("samples: {} of shape [{}] -> {} (record: {})", num, fmt::join(a.shape, ", "), written, record))
      .line(fmt::format("NFE: {} per batch ({} batch(es)), wall time {:.2f} s", d.nfe_per_batch, d.batches, d.seconds));
  report.field("command", "sample").field("output", out).field("record", record).field("num", num);
  add_sampling_fields(report, a, d);
  if (a.guidance_smc.on) {
    report.line(smc_report_line(d.smc, "sample") +
                fmt::format("; {} classifier evaluations (the last move is SMC's draw, not denoised)",
                            d.classifier_evaluations));
    if (const std::string warning = smc_warning(d.smc, "--particles ([sample] particles)"); !warning.empty()) report.line(warning);
    report.field("guidance", "smc").field("particles", d.smc.particles).field("sweeps", d.smc.sweeps)
        .field("acceptance", d.smc.acceptance).field("min_ess", d.smc.min_ess)
        .field("median_ess", d.smc.median_ess).field("resamplings_per_sample", d.smc.resamplings_per_output)
        .field("moves", d.smc.moves).field("classifier_evaluations", d.classifier_evaluations);
  }
  return report;
}

}  // namespace scoregen::engine
