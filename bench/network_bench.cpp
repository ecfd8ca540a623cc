// Each network at batch 64 on 28x28 Fashion-MNIST-shaped input (and the toy MLP): the eval-mode forward that
// sampling runs, the train-mode forward (dropout on) and forward+backward, each the median of its runs, and the
// achieved GFLOP/s of the eval forward. FLOPs are counted from the shapes LibTorch's own operator observer
// (RecordFunction) sees: 2 multiply-adds per convolution and matrix-product output term.
#include <algorithm>
#include <chrono>
#include <thread>

#include <ATen/record_function.h>
#include <fmt/format.h>

#include "timing.hpp"
#include <torch/torch.h>

#include "support.hpp"

namespace {

thread_local double counted_flops = 0;

// FLOPs of one operator call from its input shapes: convolution, addmm/mm, bmm/baddbmm (the products that matter).
void count_flops(const at::RecordFunction& fn) {
  const std::string name = fn.name();
  const auto in = fn.inputs();
  auto sizes = [&](std::size_t i) { return in[i].toTensor().sizes(); };
  if (name == "aten::convolution" && in.size() >= 9 && in[0].isTensor() && in[1].isTensor()) {
    const auto x = sizes(0), w = sizes(1);
    const auto stride = in[3].toIntVector(), pad = in[4].toIntVector(), dil = in[5].toIntVector();
    double out_elems = static_cast<double>(x[0] * w[0]);
    for (std::size_t d = 2; d < x.size(); ++d)
      out_elems *= static_cast<double>((x[d] + 2 * pad[d - 2] - dil[d - 2] * (w[d] - 1) - 1) / stride[d - 2] + 1);
    double per_output = 1;  // Cin / groups x kernel
    for (std::size_t d = 1; d < w.size(); ++d) per_output *= static_cast<double>(w[d]);
    counted_flops += 2 * out_elems * per_output;
  } else if ((name == "aten::addmm" || name == "aten::mm") && in.size() >= 2) {
    const std::size_t a = name == "aten::addmm" ? 1 : 0;
    counted_flops += 2.0 * static_cast<double>(sizes(a)[0] * sizes(a)[1] * sizes(a + 1)[1]);
  } else if ((name == "aten::bmm" || name == "aten::baddbmm") && in.size() >= 2) {
    const std::size_t a = name == "aten::baddbmm" ? 1 : 0;
    counted_flops += 2.0 * static_cast<double>(sizes(a)[0] * sizes(a)[1] * sizes(a)[2] * sizes(a + 1)[2]);
  }
}


}  // namespace

int main(int argc, char** argv) {
  struct Case {
    const char* name;
    const char* text;
    std::vector<std::int64_t> shape;
  };
  const std::vector<Case> cases = {
      {"mlp (toy, width 128, batch 256)", "[sde]\nplugin = \"vp\"\n[network]\nplugin = \"mlp\"\n", {256, 2}},
      {"unet (ch 16, mult 1-2-4, pipelines/fashion_mnist_vp)", "[sde]\nplugin = \"vp\"\n[network]\nplugin = \"unet\"\nch = 16\nch_mult = [1, 2, 4]\n", {64, 1, 28, 28}},
      {"unet (ch 32, mult 1-2-2)", "[sde]\nplugin = \"vp\"\n[network]\nplugin = \"unet\"\nch = 32\n", {64, 1, 28, 28}},
      {"ncsn (ngf 16, pipelines/fashion_mnist_ncsn)", "[sde]\nplugin = \"smld\"\n[network]\nplugin = \"ncsn\"\nngf = 16\n", {64, 1, 28, 28}},
      {"ncsn (ngf 32)", "[sde]\nplugin = \"smld\"\n[network]\nplugin = \"ncsn\"\nngf = 32\n", {64, 1, 28, 28}},
  };
  // threads: argv[1], else one per core; runs per median: argv[2], else 9
  const char* usage = "network_bench [THREADS] [RUNS]";
  at::set_num_threads(bench::count_arg(argc, argv, 1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), usage));
  const int reps = bench::count_arg(argc, argv, 2, 9, usage);
  fmt::print("{} thread(s), median of {} runs\n\n", at::get_num_threads(), reps);
  fmt::print("| network | parameters | eval forward (ms) | GFLOP per forward | GFLOP/s | train forward (ms) | "
             "forward+backward (ms) |\n|---|---|---|---|---|---|---|\n");
  for (const auto& c : cases) {
    auto p = test::pipeline(c.text);
    scoregen::BuildContext ctx;
    ctx.sde = p.create_as<scoregen::Sde>("sde", {});
    ctx.data_shape.assign(c.shape.begin() + 1, c.shape.end());
    auto net = p.create_as<scoregen::Network>("network", ctx);
    std::int64_t params = 0;
    for (const auto& t : net->parameters()) params += t.numel();
    at::Tensor x = at::randn(c.shape), t = at::rand({c.shape[0]});
    auto forward = [&] {
      torch::NoGradGuard g;
      net->forward(x, t, at::Tensor());
    };
    net->eval();
    counted_flops = 0;
    auto handle = at::addThreadLocalCallback(
        at::RecordFunctionCallback([](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
          count_flops(fn);
          return nullptr;
        }).needsInputs(true));
    forward();
    at::removeCallback(handle);
    const double flops = counted_flops;
    const double eval_ms = bench::median_ms(reps, forward);
    net->train();
    const double train_ms = bench::median_ms(reps, forward);
    const double backward_ms = bench::median_ms(reps, [&] {
      net->zero_grad();
      net->forward(x, t, at::Tensor()).pow(2).mean().backward();
    });
    fmt::print("| {} | {} | {:.1f} | {:.3f} | {:.1f} | {:.1f} | {:.1f} |\n", c.name, params, eval_ms, flops / 1e9,
               flops / 1e6 / eval_ms, train_ms, backward_ms);
  }
}
