// The cost of a training step around its network: pipelines/fashion_mnist_vp.toml's Trainer::step() (data, times
// and noise, the objective, backward, clipping, Adam, EMA) against the same network's forward+backward on a batch of
// the same shape in train mode with the same per-example dropout. The two are timed alternately in one process and
// the overhead is the median of the per-pair ratios, so a noisy machine slows both alike.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <torch/torch.h>

#include "engine/math/trainer.hpp"
#include "scoregen/network.hpp"
#include "support.hpp"
#include "timing.hpp"

int main(int argc, char** argv) {
  // threads: argv[1] (default 1); pairs: argv[2] (default 15)
  const char* usage = "training_step_bench [THREADS] [PAIRS]";
  const int threads = bench::count_arg(argc, argv, 1, 1, usage), pairs = bench::count_arg(argc, argv, 2, 15, usage);
  at::set_num_threads(threads);
  std::ifstream in(scoregen::engine::pipelines_dir() + "/fashion_mnist_vp.toml");
  std::stringstream text;
  text << in.rdbuf();
  scoregen::engine::Session s = test::session(text.str());
  auto objective = s.pipeline->create_as<scoregen::Objective>("objective", s.context());
  auto net = s.pipeline->create_as<scoregen::Network>("network", s.context());
  scoregen::engine::TrainSettings settings = scoregen::engine::settings_of<scoregen::engine::TrainSettings>(s.pipeline->options("train"));
  scoregen::Trainee trainee;
  trainee.network = net.get();
  scoregen::engine::Trainer trainer(*net, trainee, *objective, *s.data, settings, at::kCPU,
                                    [&s](std::uint64_t step, std::int64_t first, std::int64_t count) {
                                      return s.batch_random(scoregen::engine::Stream::TrainingBatches, count, step, first);
                                    });
  const std::int64_t b = settings.batch_size;
  at::Tensor x = at::randn({b, 1, 28, 28}), t = at::rand({b});
  std::uint64_t k = 0;
  auto network_only = [&] {
    scoregen::BatchRandom rng = s.batch_random(scoregen::engine::Stream::BenchNetworkOnly, b, k++);
    scoregen::BatchRandom::Scope scope(rng);
    net->zero_grad();
    net->forward(x, t, at::Tensor()).pow(2).mean().backward();
  };
  auto step = [&] { trainer.step(); };
  const bench::Paired p = bench::paired(pairs, step, network_only);
  fmt::print("{} thread(s), batch {}, median of {} alternating pairs\n", at::get_num_threads(), b, pairs);
  fmt::print("| training step (ms) | network forward+backward (ms) | step / network (median of pair ratios) |\n"
             "|---|---|---|\n| {:.1f} | {:.1f} | {:.3f} |\n",
             p.a_ms, p.b_ms, p.ratio);
}
