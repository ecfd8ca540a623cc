// Fashion-MNIST inpainting with the shipped VP model: the lower half of M test images is filled by replacement
// (Song et al. 2021, app. I.2) and by sequential Monte Carlo with K in {1, 4, 16} particles per completion, all with
// the same Euler-Maruyama chain. Each method is judged by the shipped classifier: the Frechet distance of the
// completions' features to M other test images (the floor: the original images' own distance to them), how often the
// completed image's class is the original's, and the time. Writes a grid (argument 1, default smc_inpainting.png):
// per column one test image; rows: original, masked, replacement, smc K = 1, 4, 16 (or the K given), each SMC row
// with S sweeps combined by particle independent Metropolis-Hastings (the command's `sweeps`; default 1 here).
//   smc_inpainting_bench [PNG] [M = 128] [STEPS = 100] [S = 1] [K ...]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/io/image_io.hpp"
#include "engine/math/inpainting.hpp"
#include "engine/math/metrics.hpp"
#include "engine/math/smc_inpainting.hpp"
#include "scoregen/progress.hpp"
#include "support.hpp"

namespace {

const std::string kModels = std::string(SCOREGEN_SOURCE_DIR) + "/share/models/";

scoregen::engine::Session stored_session(const std::string& checkpoint, std::vector<std::string> overrides) {
  scoregen::engine::SessionRequest r;
  r.checkpoint = checkpoint;
  r.overrides.set = std::move(overrides);
  r.quiet = true;
  return scoregen::engine::open_session(r);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string png = argc > 1 ? argv[1] : "smc_inpainting.png";
  const std::int64_t m = argc > 2 ? std::stoll(argv[2]) : 128, steps = argc > 3 ? std::stoll(argv[3]) : 100;
  const std::int64_t sweeps = argc > 4 ? std::stoll(argv[4]) : 1;
  std::vector<std::int64_t> ks;
  for (int i = 5; i < argc; ++i) ks.push_back(std::stoll(argv[i]));
  if (ks.empty()) ks = {1, 4, 16};
  torch::NoGradGuard no_grad;
  const std::string vp = kModels + "fashion_mnist_vp.pt", judge_ckpt = kModels + "fashion_mnist_classifier.pt";
  scoregen::engine::AssemblyRequest ar;
  ar.command = "smc_inpainting_bench";
  ar.checkpoint = vp;
  ar.sampler = true;
  auto a = scoregen::engine::assemble(
      stored_session(vp, {"data.split=\"t10k\"", "sampler.predictor=\"euler-maruyama\"", "sampler.corrector=\"none\"",
                          fmt::format("sampler.steps={}", steps), "sampler.denoise=false"}),
      ar);
  scoregen::engine::Session judge = stored_session(judge_ckpt, {"data.split=\"t10k\""});
  auto classifier = scoregen::engine::load_guidance(judge, judge_ckpt, "smc_inpainting_bench");
  const auto [lo, hi] = judge.data->range();
  auto judged = [&](const at::Tensor& x, bool model_space) {
    at::Tensor in = model_space ? lo + a.mapping.to_unit(x) * (hi - lo) : x;
    at::Tensor t = at::full({in.size(0)}, judge.sde->likelihood_eps(), in.options());
    return std::pair<at::Tensor, at::Tensor>{classifier->features(in, t), classifier->logits(in, t).argmax(1)};
  };

  scoregen::Dataset& data = *a.session.data;
  scoregen::Batch originals = data.get(0, m);
  at::Tensor x0 = originals.x;
  const std::vector<std::int64_t> shape = a.shape;  // [1, 28, 28]
  at::Tensor mask = at::ones(shape);
  mask.narrow(1, shape[1] / 2, shape[1] - shape[1] / 2).zero_();  // the lower half is filled
  at::Tensor reference = judged(judge.data->get(m, m).x, false).first;
  auto [original_f, original_class] = judged(x0, true);
  const double floor = scoregen::engine::frechet_distance(original_f, reference);
  fmt::print("Fashion-MNIST test images 0..{}: the lower half filled with the shipped VP model, {} Euler-Maruyama steps.\n",
             m - 1, steps);
  fmt::print("Frechet distance of the shipped classifier's features to test images {}..{} (the originals: {:.3f}).\n\n",
             m, 2 * m - 1, floor);
  fmt::print("| method | particles | NFE per completion | Frechet distance | class kept | time |\n|---|---|---|---|---|---|\n");

  std::vector<at::Tensor> rows = {x0, x0 * mask + (1 - mask) * a.mapping.range().first};  // masked: black
  // nfe: the model's batch evaluations, each of k particles per completion
  auto report = [&](const std::string& method, std::int64_t k, std::int64_t nfe, const at::Tensor& result, double seconds) {
    at::Tensor filled = scoregen::engine::combine_known(result, x0, mask.unsqueeze(0), false);
    auto [f, cls] = judged(filled, true);
    fmt::print("| {} | {} | {} | {:.3f} | {:.3f} | {:.1f} s |\n", method, k, nfe * k,
               scoregen::engine::frechet_distance(f, reference), (cls == original_class).to(at::kDouble).mean().item<double>(),
               seconds);
    std::fflush(stdout);
    rows.push_back(filled);
  };
  scoregen::SilentProgress progress;
  std::vector<std::int64_t> batch = shape;
  batch.insert(batch.begin(), m);
  {
    at::Generator gen = a.session.generator(scoregen::engine::Stream::Inpainting, 0);
    auto start = std::chrono::steady_clock::now();
    a.model->reset_nfe();
    at::Tensor r = a.sampler->sample(*a.model, batch, gen, progress,
                                     scoregen::engine::projection_hooks(*a.session.sde, x0, mask.unsqueeze(0), false, gen));
    report("replace", 1, a.model->nfe(), r, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  for (std::int64_t k : ks) {
    at::Generator gen = a.session.generator(scoregen::engine::Stream::Inpainting, 0);
    auto start = std::chrono::steady_clock::now();
    a.model->reset_nfe();
    scoregen::engine::SmcSettings settings;
    settings.on = true, settings.particles = k, settings.sweeps = sweeps;
    std::vector<std::int64_t> particles = shape;
    particles.insert(particles.begin(), m * k);
    at::Tensor figures = at::zeros({1, scoregen::engine::kSmcColumns}, at::kDouble);
    at::Tensor r = scoregen::engine::run_sweeps(settings, gen, [&](const std::string&) {
      scoregen::engine::SmcInpainting smc(*a.model, x0, mask.unsqueeze(0), false, k, 0.5, gen);
      at::Tensor draws = smc.select(a.sampler->sample(*a.model, particles, gen, progress, smc.hooks()));
      return scoregen::engine::SmcSweep{draws, smc.log_evidence(), smc.summary()};
    }, figures[0]);
    const scoregen::engine::SmcDiagnostics d = scoregen::engine::smc_diagnostics(figures, settings, m);
    report(fmt::format("smc, {} sweep(s), acceptance {:.2f} (ESS smallest {:.1f}, median {:.1f}; {:.1f} resamplings per "
                       "completion)", sweeps, d.acceptance, d.min_ess, d.median_ess, d.resamplings_per_output),
           k, a.model->nfe(), r, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  // A grid: 12 test images (columns) x the rows above
  const std::int64_t columns = std::min<std::int64_t>(12, m);
  std::vector<at::Tensor> picked;
  for (const at::Tensor& r : rows) picked.push_back(r.narrow(0, 0, columns));
  scoregen::engine::PictureOptions picture;
  picture.nrow = static_cast<int>(columns);
  picture.pad = 2;
  a.mapping.save(at::cat(picked), png, picture);
  fmt::print("\nrows of {}: original, masked, replacement, smc K = {}\n", png, fmt::join(ks, ", "));
  return 0;
}
