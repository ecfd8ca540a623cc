// Forward + backward time of each network at batch 64 on 28x28 Fashion-MNIST-shaped input (and the toy MLP).
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>

#include "support.hpp"

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
  // threads: argv[1], else one per core
  at::set_num_threads(argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  fmt::print("| network | parameters | forward (ms) | forward+backward (ms) |\n|---|---|---|---|\n");
  for (const auto& c : cases) {
    auto p = test::pipeline(c.text);
    scoregen::BuildContext ctx;
    ctx.sde = p.create_as<scoregen::Sde>("sde", {});
    ctx.data_shape.assign(c.shape.begin() + 1, c.shape.end());
    auto net = p.create_as<scoregen::Network>("network", ctx);
    std::int64_t params = 0;
    for (const auto& t : net->parameters()) params += t.numel();
    at::Tensor x = at::randn(c.shape), t = at::rand({c.shape[0]});
    auto time = [&](bool backward, int reps) {
      for (int i = 0; i < 2; ++i) net->forward(x, t, at::Tensor()).sum().backward();  // warm-up
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) {
        if (backward) {
          net->zero_grad();
          net->forward(x, t, at::Tensor()).pow(2).mean().backward();
        } else {
          torch::NoGradGuard g;
          net->forward(x, t, at::Tensor());
        }
      }
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / reps;
    };
    fmt::print("| {} | {} | {:.1f} | {:.1f} |\n", c.name, params, time(false, 10), time(true, 10));
  }
}
