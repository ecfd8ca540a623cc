// The published NCSN++ / DDPM++ configs of score_sde_pytorch at CIFAR-10 size, built as `scoregen import` builds
// them: the eval-mode forward (or one training step: forward, backward of the mean squared output, Adam) at batch B
// on T threads or a CUDA device, median of runs. bench/score_sde_forward.py times score_sde_pytorch's own network
// of the same configs the same way, for comparison (the GPU kit runs both on CUDA: scripts/gpu-kit.sh).
//   score_sde_network_bench [THREADS [BATCH [RUNS [DEVICE [forward|train]]]]]
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "engine/io/score_sde_configs.hpp"
#include "support.hpp"
#include "timing.hpp"

int main(int argc, char** argv) {
  const char* usage = "score_sde_network_bench [THREADS [BATCH [RUNS [DEVICE [forward|train]]]]]";
  const int threads = bench::count_arg(argc, argv, 1, 1, usage), batch = bench::count_arg(argc, argv, 2, 8, usage),
            runs = bench::count_arg(argc, argv, 3, 5, usage);
  const std::string device_name = argc > 4 ? argv[4] : "cpu", mode = argc > 5 ? argv[5] : "forward";
  if (mode != "forward" && mode != "train") {
    std::fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  c10::Device device(at::kCPU);
  try {
    device = c10::Device(device_name);
  } catch (const c10::Error&) {
    std::fprintf(stderr, "score_sde_network_bench: '%s' is not a device (cpu, cuda or cuda:N)\n", device_name.c_str());
    return 2;
  }
  if (device.is_cuda() && !torch::cuda::is_available()) {
    std::fprintf(stderr, "score_sde_network_bench: no CUDA device here\n");
    return 2;
  }
  at::set_num_threads(threads);
  for (const char* name : {"vp/cifar10_ddpmpp_continuous", "ve/cifar10_ncsnpp_continuous"}) {
    auto s = scoregen::engine::open_session(scoregen::engine::builtin_registry(),
                                            test::pipeline(scoregen::engine::score_sde_pipeline(name)));
    auto net = s.pipeline->create_as<scoregen::Network>("network", s.context(), "bench");
    net->to(device);
    std::int64_t count = 0;
    for (const auto& p : net->parameters()) count += p.numel();
    const at::Tensor x = at::randn({batch, 3, 32, 32}).to(device), t = (at::rand({batch}) * 0.99 + 0.01).to(device);
    auto sync = [&] {
      if (device.is_cuda()) torch::cuda::synchronize();
    };
    double ms = 0;
    if (mode == "forward") {
      net->eval();
      torch::NoGradGuard no_grad;
      ms = bench::median_ms(runs, [&] { net->forward(x, t, {}), sync(); });
    } else {
      net->train();
      torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(2e-4));
      ms = bench::median_ms(runs, [&] {
        adam.zero_grad();
        net->forward(x, t, {}).square().mean().backward();
        adam.step();
        sync();
      });
    }
    fmt::print("scoregen {}: {} parameters, batch {}, {}: {:.1f} ms per {} (median of {})\n", name, count, batch,
               device.is_cuda() ? device.str() : fmt::format("{} thread(s)", threads), ms,
               mode == "train" ? "training step" : "forward", runs);
  }
  return 0;
}
