// `scoregen train` through the binary: an interrupted and resumed run ends bit-for-bit where an
// uninterrupted one does; divergence and misuse are clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "checkpoint_weights.hpp"
#include "cli_support.hpp"
#include "engine/io/array_io.hpp"

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

struct MetricLine {
  std::int64_t step = 0;
  std::string loss;  // as written: equal text, equal value
  double elapsed = 0;
};

// The loss lines of a metrics.jsonl (event lines skipped).
std::vector<MetricLine> metric_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<MetricLine> out;
  auto field = [](const std::string& l, const std::string& key) {
    const auto at = l.find("\"" + key + "\": ");
    if (at == std::string::npos) return std::string();
    const auto from = at + key.size() + 4;
    return l.substr(from, l.find_first_of(",}", from) - from);
  };
  for (std::string l; std::getline(in, l);) {
    if (field(l, "loss").empty()) continue;
    out.push_back({std::stoll(field(l, "step")), field(l, "loss"), std::stod(field(l, "elapsed_s"))});
  }
  return out;
}

// Shell text: runs `scoregen ARGS` in the background (output to LOG), waits until RUN/metrics.jsonl has `lines`
// lines (the run is training, past its setup, however loaded the machine), runs `meanwhile`, sends `signal`, and
// prints "status: N" then the log.
std::string signal_when_logged(const std::string& args, const std::string& run, int lines, const std::string& signal,
                               const std::string& log, const std::string& meanwhile = "true") {
  return "(" + cli::binary() + " " + args + " > " + log + " 2>&1 & pid=$!; while kill -0 $pid 2>/dev/null && [ \"$(cat " +
         run + "/metrics.jsonl 2>/dev/null | wc -l)\" -lt " + std::to_string(lines) + " ]; do sleep 0.05; done; " +
         meanwhile + "; kill -" + signal + " $pid; wait $pid 2>/dev/null; echo \"status: $?\"; cat " + log + ")";
}

}  // namespace

TEST(Train, InterruptedAndResumedRunMatchesUninterruptedBitForBit) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  auto full = cli::run("train " + pipe + " -q --out " + dir.path("full"));
  ASSERT_EQ(full.status, 0) << full.out;
  // SIGTERM part way (what Slurm, Kubernetes and torchrun send; after 3 logged windows, most likely mid-window): a
  // checkpoint at the current step and exit status 143.
  auto cut = cli::shell(signal_when_logged("train " + pipe + " -q --out " + dir.path("cut"), dir.path("cut"), 3, "TERM",
                                           dir.path("cut.log")));
  ASSERT_NE(cut.out.find("status: 143"), std::string::npos) << "the run finished before the signal?\n" << cut.out;
  EXPECT_NE(cut.out.find("train: stopped; checkpoint at step"), std::string::npos) << cut.out;
  EXPECT_NE(cut.out.find("scoregen: stopped by SIGTERM"), std::string::npos) << cut.out;
  auto resumed = cli::run("train " + pipe + " -q --out " + dir.path("cut"));
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("train: resuming"), std::string::npos) << resumed.out;
  auto a = cli::checkpoint_weights(dir.path("full/checkpoint.pt")), b = cli::checkpoint_weights(dir.path("cut/checkpoint.pt"));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << "tensor " << i;
  // metrics.jsonl: one line per 100 steps, none duplicated by the resume, and the same mean losses as the
  // uninterrupted run (the window open at the signal was carried by the checkpoint, not restarted); the clock is
  // cumulative.
  const auto full_log = metric_lines(dir.path("full/metrics.jsonl")), cut_log = metric_lines(dir.path("cut/metrics.jsonl"));
  ASSERT_EQ(full_log.size(), 120u);
  ASSERT_EQ(cut_log.size(), 120u);
  for (std::size_t i = 0; i < cut_log.size(); ++i) {
    EXPECT_EQ(cut_log[i].step, 100 * static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(cut_log[i].loss, full_log[i].loss) << "step " << cut_log[i].step;
    if (i > 0) EXPECT_GE(cut_log[i].elapsed, cut_log[i - 1].elapsed) << "step " << cut_log[i].step;
  }
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
  // the summary says what was trained on and what the EMA holds: d = min(0.999, 3001 / 3010) = 0.997, about 334 steps
  EXPECT_NE(t.out.find("train: mlp on moons (fresh draws of shape [2]; "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("EMA: decay 0.997 at step 3000 (warm-up min(0.999, (1 + k) / (10 + k))): sample and eval use "
                       "the weights averaged over about the last 334 steps"),
            std::string::npos)
      << t.out;
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

TEST(Train, AKillBeforeTheFirstCheckpointLeavesNoStepLoggedTwice) {
  // kill -9 after some steps were logged but before any checkpoint: the next run starts over, and so does its record.
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  const std::string run = dir.path("run");
  auto killed = cli::shell(signal_when_logged("train " + pipe + " -q --set train.checkpoint_every=100000 --out " + run, run,
                                              2, "KILL", dir.path("log")));
  ASSERT_NE(killed.out.find("status: 137"), std::string::npos) << killed.out;
  ASSERT_GT(lines(run + "/metrics.jsonl"), 0u) << "nothing was logged before the kill";
  auto again = cli::run("train " + pipe + " -q --steps 1000 --out " + run);
  ASSERT_EQ(again.status, 0) << again.out;
  const auto log = metric_lines(run + "/metrics.jsonl");
  ASSERT_EQ(log.size(), 10u);
  for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].step, 100 * static_cast<std::int64_t>(i + 1));
}

TEST(Train, SlurmsWarningSignalCheckpointsAndASecondTrainerIsRefused) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  const std::string run = dir.path("run");
  // A second `train` into a folder a first one is training into refuses (the first holds the run's lock), then
  // SIGUSR1 (Slurm's --signal warning) makes the first checkpoint and exit 138.
  const std::string second = cli::binary() + " train " + pipe + " -q --out " + run + " 2>&1; echo \"second: $?\"";
  auto r = cli::shell(signal_when_logged("train " + pipe + " -q --out " + run, run, 1, "USR1", dir.path("first.log"), second));
  EXPECT_NE(r.out.find(run + " is being trained by another process (pid "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("second: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scoregen: stopped by SIGUSR1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status: 138"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(run + "/checkpoint.pt"));
}

TEST(Train, AFullDiskIsOneLineAndThePreviousCheckpointSurvives) {
  // A file-size limit (ulimit -f, in KiB) stands in for a full disk: the checkpoint's write fails part way.
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  const std::string run = dir.path("run");
  auto first = cli::run("train " + pipe + " -q --steps 100 --set train.checkpoint_every=100 --set network.width=64 --out " + run);
  ASSERT_EQ(first.status, 0) << first.out;
  const auto before = std::filesystem::file_size(run + "/checkpoint.pt");
  ASSERT_GT(before, 40u * 1024u);
  auto full = cli::shell("ulimit -f 40; " + cli::binary() + " train " + pipe +
                         " -q --steps 200 --set train.checkpoint_every=100 --set network.width=64 --out " + run + " 2>&1");
  EXPECT_EQ(full.status, 2) << full.out;
  EXPECT_NE(full.out.find("scoregen: error: " + run + "/checkpoint.pt: write failed: File too large"), std::string::npos)
      << full.out;
  EXPECT_EQ(std::filesystem::file_size(run + "/checkpoint.pt"), before);
  auto usable = cli::run("sample --checkpoint " + run + "/checkpoint.pt -q --sampler ode --num 4 --out " + dir.path("x.npy"));
  EXPECT_EQ(usable.status, 0) << usable.out;
  for (const auto& e : std::filesystem::directory_iterator(run))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(Train, OutputFoldersThatCannotBeOneAreRefused) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kSmall);
  const std::string file = dir.file("a-file", "x");
  auto a = cli::run("train " + pipe + " -q --steps 2 --out " + file);
  EXPECT_EQ(a.status, 2) << a.out;
  EXPECT_NE(a.out.find("scoregen: error: --out " + file + ": exists and is not a folder"), std::string::npos) << a.out;
  auto b = cli::run("train " + pipe + " -q --steps 2 --out " + file + "/run");
  EXPECT_EQ(b.status, 2) << b.out;
  EXPECT_NE(b.out.find("cannot create the folder"), std::string::npos) << b.out;
}
