// A checkpoint's score on a batch, on the CPU and on another device (CUDA), with TF32 off on both cuBLAS and cuDNN:
// the largest difference relative to the largest score, and each device's median time per score call. The GPU kit
// runs it on the shipped VP model (scripts/gpu-kit.sh run; docs/gpu.md).
//   device_agreement_bench CHECKPOINT [DEVICE [BATCH [RUNS [SECTION.KEY=VALUE...]]]]   (DEVICE: cuda by default;
//   the overrides as --set takes them, e.g. data.root="..." where the checkpoint's data set lives elsewhere)
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "timing.hpp"

int main(int argc, char** argv) {
  const char* usage = "device_agreement_bench CHECKPOINT [DEVICE [BATCH [RUNS [SECTION.KEY=VALUE...]]]]";
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  const std::string device_name = argc > 2 ? argv[2] : "cuda";
  const int batch = bench::count_arg(argc, argv, 3, 64, usage), runs = bench::count_arg(argc, argv, 4, 5, usage);
  std::vector<std::string> overrides(argv + std::min(argc, 5), argv + argc);
  auto request = [&](const std::string& device) {
    scoregen::engine::SessionRequest req;
    req.checkpoint = argv[1];
    req.quiet = true;
    req.overrides.set = overrides;
    req.overrides.flags.push_back({"device", device, "device " + device});
    return req;
  };
  try {
    const c10::Device device(device_name);
    if (device.is_cuda() && !torch::cuda::is_available()) {
      std::fprintf(stderr, "device_agreement_bench: no CUDA device here\n");
      return 2;
    }
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
    auto score_on = [&](const c10::Device& d, const at::Tensor& x, const at::Tensor& t, double& ms) {
      scoregen::engine::AssemblyRequest ar;
      ar.command = "bench";
      ar.checkpoint = argv[1];
      auto a = scoregen::engine::assemble(scoregen::engine::open_session(request(d.str())), ar);
      torch::NoGradGuard no_grad;
      const at::Tensor xd = x.to(d), td = t.to(d);
      at::Tensor s;
      ms = bench::median_ms(runs, [&] {
        s = a.model->score(xd, td);
        if (d.is_cuda()) torch::cuda::synchronize();
      });
      return s.to(at::kCPU, at::kDouble);
    };
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    const auto session = scoregen::engine::open_session(request("cpu"));
    if (!session.data) throw std::runtime_error("the checkpoint's pipeline has no [data]: no example shape");
    const auto shape = session.data->shape();
    std::vector<int64_t> dims{batch};
    dims.insert(dims.end(), shape.begin(), shape.end());
    const at::Tensor x = at::randn(dims, gen);
    const at::Tensor t = at::rand({batch}, gen) * (1.0 - 1e-3) + 1e-3;
    double cpu_ms = 0, other_ms = 0;
    const at::Tensor cpu = score_on(c10::Device(at::kCPU), x, t, cpu_ms);
    const at::Tensor other = score_on(device, x, t, other_ms);
    const double rel = ((other - cpu).abs().max() / cpu.abs().max()).item<double>();
    fmt::print("device_agreement: batch {}, {} against cpu: largest difference relative to the largest score {:.3e}; "
               "median per score call: cpu {:.1f} ms, {} {:.1f} ms\n",
               batch, device.str(), rel, cpu_ms, device.str(), other_ms);
    fmt::print("{{\"relative_difference\": {:.6e}, \"cpu_ms\": {:.3f}, \"device_ms\": {:.3f}, \"batch\": {}}}\n", rel,
               cpu_ms, other_ms, batch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "device_agreement_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
