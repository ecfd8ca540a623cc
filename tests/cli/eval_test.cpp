// `scoregen eval` through the binary, with the shipped Fashion-MNIST classifier as the evaluation classifier
// and an exact Gaussian-mixture oracle on 28x28 images as the model.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "cli_support.hpp"

namespace {

const std::string kClassifier = cli::source("share/models/fashion_mnist_classifier.pt");

// Two 28x28 patterns in pixel values [0, 1]: a pair of vertical bars (trouser-like) and a filled block.
std::vector<double> pattern(int k) {
  std::vector<double> p(28 * 28, 0.0);
  for (int r = 2; r < 26; ++r)
    for (int c = 0; c < 28; ++c) {
      const bool on = k == 0 ? ((c >= 8 && c < 13) || (c >= 15 && c < 20)) : (r >= 8 && c >= 5 && c < 23);
      p[r * 28 + c] = on ? 0.8 : 0.0;
    }
  return p;
}

// The same pixel-space mixture written in the model space of `scale`: [-1, 1] (symmetric) or [0, 1] (unit).
std::string oracle_pipeline(const std::string& scale, const std::string& sde) {
  const bool symmetric = scale == "symmetric";
  std::string means;
  for (int k = 0; k < 2; ++k) {
    std::vector<double> m = pattern(k);
    for (auto& v : m) v = symmetric ? 2 * v - 1 : v;
    means += fmt::format("{}[{}]", k ? ", " : "", fmt::join(m, ", "));
  }
  const double std = symmetric ? 0.04 : 0.02;  // 0.02 in pixel units either way
  return fmt::format(R"(seed = 3
[sde]
plugin = "{}"
N = 100
[data]
plugin = "idx"
scale = "{}"
limit = 256
[network]
plugin = "gaussian-mixture"
weights = [0.5, 0.5]
means = [{}]
stds = [{}, {}]
[sampler]
plugin = "pc"
predictor = "reverse-diffusion"
corrector = "none"
)",
                     sde, scale, means, std, std);
}

double number_after(const std::string& out, const std::string& pattern) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(out, m, std::regex(pattern))) << pattern << "\n" << out;
  return m.size() > 1 ? std::stod(m[1]) : -1.0;
}

std::string eval(const std::string& pipeline, const std::string& flags = "") {
  return "eval " + pipeline + " -q --num 128 --batch-size 128 --nll-num 0 --classifier-checkpoint " + kClassifier + " " + flags;
}

}  // namespace

// The reference set and the classifier's input scale come from the classifier, not from the model: the same
// pixel-space distribution modelled on [0, 1] and on [-1, 1] gets the same test accuracy (exactly: same
// reference), the same class fractions and the same Frechet distance (up to sampling noise).
TEST(Eval, ModelsOnDifferentDataScalesAreJudgedAlike) {
  cli::TempDir dir;
  auto sym = cli::run(eval(dir.file("sym.toml", oracle_pipeline("symmetric", "vp"))));
  auto unit = cli::run(eval(dir.file("unit.toml", oracle_pipeline("unit", "vp"))));
  ASSERT_EQ(sym.status, 0) << sym.out;
  ASSERT_EQ(unit.status, 0) << unit.out;
  const std::string acc = "test accuracy at t = eps ([0-9.]+)";
  const double acc_sym = number_after(sym.out, acc), acc_unit = number_after(unit.out, acc);
  EXPECT_EQ(acc_sym, acc_unit);
  EXPECT_GT(acc_sym, 0.7) << "the shipped classifier should recognise Fashion-MNIST test images";
  const std::string fd = "not the Inception FID\\): ([0-9.]+)";
  const double fd_sym = number_after(sym.out, fd), fd_unit = number_after(unit.out, fd);
  EXPECT_GT(fd_sym, 0.5) << "two fixed patterns are far from the test set";
  EXPECT_NEAR(fd_unit, fd_sym, 0.1 * fd_sym);
  // Each pattern gets about half of the draws, and the classifier gives both runs the same classes.
  const std::string ent = "entropy of the samples: ([0-9.]+) nats";
  EXPECT_NEAR(number_after(sym.out, ent), number_after(unit.out, ent), 0.05);
}

// The shipped models' samples are clothes of many classes: far closer to the test set than two fixed
// patterns, with a class entropy near log 10 (the patterns reach at most log 2). Each model with a cheap
// setting of its own sampler: VP 50 reverse-diffusion steps, VE 20 steps of SDE-DPM-Solver++, NCSN 20
// annealed-Langevin steps per level (measured at N = 128: FD 1.12, 0.48, 5.15 against the patterns' 18.2;
// NCSN is the weakest model, see the README's table).
TEST(Eval, ShippedModelsAreCloserToTheDataThanTwoPatterns) {
  cli::TempDir dir;
  auto patterns = cli::run(eval(dir.file("p.toml", oracle_pipeline("symmetric", "vp"))));
  ASSERT_EQ(patterns.status, 0) << patterns.out;
  const std::string fd = "not the Inception FID\\): ([0-9.]+)", ent = "entropy of the samples: ([0-9.]+) nats";
  const double fd_patterns = number_after(patterns.out, fd);
  EXPECT_LT(number_after(patterns.out, ent), std::log(2.0) + 1e-9);
  // Two blocks of real test images: a positive distance (finite-sample bias and the blocks' own differences)
  // far below the two patterns'. The same in every run: it never sees the model.
  const std::string floor = "two disjoint blocks of 128 test examples \\(the floor at this N\\): ([0-9.]+)";
  const double fd_floor = number_after(patterns.out, floor);
  EXPECT_GT(fd_floor, 0.0);
  EXPECT_LT(fd_floor, 0.2 * fd_patterns);
  struct Case { std::string name, flags; double fd_fraction, min_entropy; };
  for (const Case& c : {Case{"vp", "--set sde.N=50 --set sampler.corrector='\"none\"'", 0.2, 1.9},
                        Case{"ve", "--sampler dpm-solver++ --set sampler.eta=1.0", 0.2, 1.9},
                        Case{"ncsn", "--set sampler.n_steps=20", 0.5, 1.7}}) {
    auto r = cli::run(eval("--checkpoint " + cli::source("share/models/fashion_mnist_" + c.name + ".pt"), c.flags));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_LT(number_after(r.out, fd), c.fd_fraction * fd_patterns) << c.name;
    EXPECT_GT(number_after(r.out, ent), c.min_entropy) << c.name;
    EXPECT_EQ(number_after(r.out, floor), fd_floor) << c.name;
  }
}

TEST(Eval, DiscreteLadderHasNoBitsPerDim) {
  cli::TempDir dir;
  std::string p = oracle_pipeline("unit", "smld");
  p = std::regex_replace(p, std::regex("N = 100"), "L = 10");
  p = std::regex_replace(p, std::regex("\\[sampler\\][^]*"), "[sampler]\nplugin = \"annealed-langevin\"\nn_steps = 5\n");
  auto r = cli::run("eval " + dir.file("p.toml", p) + " -q --num 16 --nll-num 4 --classifier-checkpoint " + kClassifier);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("bits/dim: - (the [sde] is a discrete chain"), std::string::npos) << r.out;
}

TEST(Eval, GuidanceByAClassifierOfAnotherSdeIsRefused) {
  cli::TempDir dir;
  std::string p = oracle_pipeline("symmetric", "ve");
  auto r = cli::run(eval(dir.file("p.toml", p), "--class 1"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("trained on another SDE or data scale"), std::string::npos) << r.out;
}

TEST(Eval, MissingClassifierCheckpointIsAnError) {
  cli::TempDir dir;
  auto r = cli::run("eval " + dir.file("p.toml", oracle_pipeline("symmetric", "vp")) + " -q --classifier-checkpoint " +
                    dir.path("none.pt"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("none.pt"), std::string::npos) << r.out;
}
