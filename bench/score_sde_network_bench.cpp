// The published NCSN++ / DDPM++ configs of score_sde_pytorch at CIFAR-10 size, built as `scoregen import` builds
// them: the eval-mode forward at batch B on T threads, median of runs. bench/score_sde_forward.py times
// score_sde_pytorch's own forward of the same configs for comparison.
//   score_sde_network_bench [THREADS [BATCH [RUNS]]]
#include <fmt/format.h>
#include <torch/torch.h>

#include "engine/score_sde_configs.hpp"
#include "support.hpp"
#include "timing.hpp"

int main(int argc, char** argv) {
  const char* usage = "score_sde_network_bench [THREADS [BATCH [RUNS]]]";
  const int threads = bench::count_arg(argc, argv, 1, 1, usage), batch = bench::count_arg(argc, argv, 2, 8, usage),
            runs = bench::count_arg(argc, argv, 3, 5, usage);
  at::set_num_threads(threads);
  for (const char* name : {"vp/cifar10_ddpmpp_continuous", "ve/cifar10_ncsnpp_continuous"}) {
    auto s = scoregen::engine::open_session(scoregen::engine::builtin_registry(),
                                            test::pipeline(scoregen::engine::score_sde_pipeline(name)));
    auto net = s.pipeline->create_as<scoregen::Network>("network", s.context(), "bench");
    net->eval();
    std::int64_t count = 0;
    for (const auto& p : net->parameters()) count += p.numel();
    at::Tensor x = at::randn({batch, 3, 32, 32}), t = at::rand({batch}) * 0.99 + 0.01;
    torch::NoGradGuard no_grad;
    const double ms = bench::median_ms(runs, [&] { net->forward(x, t, {}); });
    fmt::print("scoregen {}: {} parameters, batch {}, {} thread(s): {:.1f} ms per forward (median of {})\n", name, count,
               batch, threads, ms, runs);
  }
  return 0;
}
