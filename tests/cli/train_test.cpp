// `scoregen train` through the binary: an interrupted and resumed run ends bit-for-bit where an
// uninterrupted one does; divergence and misuse are clear errors.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_support.hpp"
#include "checkpoint_weights.hpp"
#include "engine/array_io.hpp"

namespace {

const char* kSmall = R"(seed = 5
[sde]
plugin = "vp"
[data]
plugin = "moons"
[network]
plugin = "mlp"
width = 16
depth = 2
[train]
steps = 12000
batch_size = 32
checkpoint_every = 3000
log_every = 100
)";

std::size_t lines(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

}  // namespace

TEST(Train, InterruptedAndResumedRunMatchesUninterruptedBitForBit) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  auto full = cli::run("train " + pipe + " -q --out " + dir.path("full"));
  ASSERT_EQ(full.status, 0) << full.out;
  // Ctrl-C part way (SIGINT after 1.5 s): a checkpoint is written and the exit status is 130.
  auto cut = cli::run("train " + pipe + " -q --out " + dir.path("cut"), "", "timeout --preserve-status -s INT 1.5");
  ASSERT_EQ(cut.status, 130) << "the run finished before the interrupt; make it longer\n" << cut.out;
  EXPECT_NE(cut.out.find("train: interrupted; checkpoint at step"), std::string::npos) << cut.out;
  auto resumed = cli::run("train " + pipe + " -q --out " + dir.path("cut"));
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("train: resuming"), std::string::npos) << resumed.out;
  auto a = cli::checkpoint_weights(dir.path("full/checkpoint.pt")), b = cli::checkpoint_weights(dir.path("cut/checkpoint.pt"));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << "tensor " << i;
  // metrics.jsonl: one line per 100 steps, none duplicated by the resume.
  EXPECT_EQ(lines(dir.path("cut/metrics.jsonl")), 120u);
  EXPECT_EQ(lines(dir.path("full/metrics.jsonl")), 120u);
  // Training again at the end is a no-op, not a clobber.
  auto again = cli::run("train " + pipe + " -q --out " + dir.path("full"));
  EXPECT_EQ(again.status, 0);
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
}

TEST(Train, TrainedToyModelSamplesThroughTheCli) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", std::string(kSmall) + "[sampler]\nplugin = \"pc\"\n");
  auto t = cli::run("train " + pipe + " -q --steps 3000 --set train.checkpoint_every=1000 --batch-size 128 --set network.width=64 --out " + dir.path("run"));
  ASSERT_EQ(t.status, 0) << t.out;
  auto s = cli::run("sample --checkpoint " + dir.path("run/checkpoint.pt") + " -q --num 500 --set sde.N=200 --out " +
                    dir.path("x.npy"));
  ASSERT_EQ(s.status, 0) << s.out;
  at::Tensor x = scoregen::engine::load_npy(dir.path("x.npy"));
  ASSERT_EQ(x.sizes(), at::IntArrayRef({500, 2}));
  // Moons live in [-3, 4] x [-1.5, 2.5]: a trained model keeps nearly every sample there.
  at::Tensor inside = (x.select(1, 0) > -3.5) & (x.select(1, 0) < 4.5) & (x.select(1, 1) > -2) & (x.select(1, 1) < 3);
  EXPECT_GT(inside.to(at::kFloat).mean().item<double>(), 0.98);
}

TEST(Train, DivergenceStopsWithTheStep) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  auto r = cli::run("train " + pipe + " -q --set train.lr=1e30 --set train.warmup=0 --set train.grad_clip=0 --out " +
                    dir.path("run"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("training diverged: non-finite loss at step"), std::string::npos) << r.out;
}

TEST(Train, MisuseIsAClearError) {
  cli::TempDir dir;
  std::string no_data = dir.file("a.toml", "[sde]\nplugin = \"vp\"\n[network]\nplugin = \"gaussian-mixture\"\n"
                                           "weights = [1.0]\nmeans = [[0.0, 0.0]]\nstds = [1.0]\n");
  auto a = cli::run("train " + no_data + " -q --out " + dir.path("run"));
  EXPECT_EQ(a.status, 2);
  EXPECT_NE(a.out.find("training needs a [data] section"), std::string::npos) << a.out;
  std::string oracle = dir.file("b.toml", std::string(R"([sde]
plugin = "vp"
[data]
plugin = "moons"
[network]
plugin = "gaussian-mixture"
weights = [1.0]
means = [[0.0, 0.0]]
stds = [1.0]
)"));
  auto b = cli::run("train " + oracle + " -q --out " + dir.path("run"));
  EXPECT_EQ(b.status, 2);
  EXPECT_NE(b.out.find("[network] plugin 'gaussian-mixture' has nothing to train"), std::string::npos) << b.out;
  std::string corrupt = dir.file("junk.pt", "not a checkpoint");
  auto c = cli::run("sample --checkpoint " + corrupt + " -q --out " + dir.path("x.npy"));
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.out.find(corrupt + ": not a scoregen checkpoint"), std::string::npos) << c.out;
  std::string mlp = dir.file("c.toml", std::string(kSmall) + "[sampler]\nplugin = \"pc\"\n");
  auto d = cli::run("sample " + mlp + " -q --out " + dir.path("x.npy"));
  EXPECT_EQ(d.status, 2);
  EXPECT_NE(d.out.find("needs trained weights: pass --checkpoint"), std::string::npos) << d.out;
}
