// The cost of a sampling step around its network: the shipped VP model (pipelines/fashion_mnist_vp.toml's U-Net)
// sampled by its pc sampler with the Euler-Maruyama predictor (one network evaluation per step, no corrector) on a
// batch of 64, against as many eval-mode forwards of the same network on a batch of that shape. The two are timed
// alternately in one process and the overhead is the median of the per-pair ratios, so a noisy machine slows both
// alike.
//   sampling_step_bench [THREADS = 1] [PAIRS = 7] [STEPS = 10]
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "scoregen/network.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/score_model.hpp"
#include "scoregen_build_config.hpp"
#include "timing.hpp"

int main(int argc, char** argv) {
  const char* usage = "sampling_step_bench [THREADS] [PAIRS] [STEPS]";
  const int threads = bench::count_arg(argc, argv, 1, 1, usage), pairs = bench::count_arg(argc, argv, 2, 7, usage),
            steps = bench::count_arg(argc, argv, 3, 10, usage);
  const std::string checkpoint = std::string(SCOREGEN_SOURCE_DIR) + "/share/models/fashion_mnist_vp.pt";
  scoregen::engine::SessionRequest request;
  request.checkpoint = checkpoint;
  request.quiet = true;
  request.overrides.set = {"sampler.predictor=\"euler-maruyama\"", "sampler.corrector=\"none\"",
                       fmt::format("sampler.steps={}", steps)};
  scoregen::engine::AssemblyRequest ar;
  ar.command = "sampling_step_bench";
  ar.checkpoint = checkpoint;
  ar.sampler = true;
  scoregen::engine::Assembly a = scoregen::engine::assemble(scoregen::engine::open_session(request), ar);
  at::set_num_threads(threads);  // after the session, which applies the pipeline's own thread count
  torch::NoGradGuard no_grad;
  a.network->eval();

  const std::int64_t batch = 64;
  std::vector<std::int64_t> shape = a.shape;
  shape.insert(shape.begin(), batch);
  scoregen::SilentProgress progress;
  std::uint64_t draw = 0;
  auto sample = [&] {
    at::Generator gen = a.session.generator(scoregen::engine::Stream::Samples, draw++);
    a.sampler->sample(*a.model, shape, gen, progress, scoregen::SampleHooks{});
  };
  const std::int64_t before = a.model->nfe();
  sample();
  const std::int64_t nfe = a.model->nfe() - before;
  at::Tensor x = at::randn(shape), t = at::rand({batch});
  auto forwards = [&] {
    for (std::int64_t i = 0; i < nfe; ++i) a.network->forward(x, t, at::Tensor());
  };

  const bench::Paired p = bench::paired(pairs, sample, forwards);
  const auto n = static_cast<double>(nfe);
  fmt::print("{} thread(s), batch {}, {}, median of {} alternating pairs\n", at::get_num_threads(), batch,
             a.sampler->describe(), pairs);
  fmt::print("| NFE | sampling (ms) | NFE eval forwards (ms) | per step (ms) | per forward (ms) | sampling / forwards "
             "(median of pair ratios) |\n|---|---|---|---|---|---|\n| {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.3f} |\n",
             nfe, p.a_ms, p.b_ms, p.a_ms / n, p.b_ms / n, p.ratio);
}
