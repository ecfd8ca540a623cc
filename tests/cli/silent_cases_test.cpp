// Nothing is silently ignored: each case that once returned a wrong result with exit 0 is now an error (exit 2)
// naming what and where, or, where a user may mean it (a new [train] value on resume), a notice recorded in the run.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_support.hpp"
#include "engine/io/files.hpp"

using cli::expect_user_error;

namespace {

const std::string kOracle = cli::source("pipelines/oracle_mixture.toml");

const std::string kTiny = cli::MoonsMlp{3, 100, 32, 60, 64, "checkpoint_every = 30\nlog_every = 10\n[sampler]\nplugin = \"pc\"\n[sample]\nnum = 16\nbatch_size = 16\n"}.text();

std::string with(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST(SilentCases, ClassWithoutGuidanceOrConditionalNetworkIsAnError) {
  expect_user_error(cli::run("sample " + kOracle + " -q --class 1"), "not class-conditional");
}

TEST(SilentCases, GuidanceFlagsWithoutClassAreErrors) {
  expect_user_error(cli::run("sample " + kOracle + " -q --guidance-scale 5"), "--guidance-scale");
  expect_user_error(cli::run("sample " + kOracle + " -q --guidance-checkpoint x.pt"), "--guidance-checkpoint");
}

TEST(SilentCases, ASecondPipelineIsAnError) {
  expect_user_error(cli::run("sample " + kOracle + " " + kOracle + " -q"), "unexpected argument");
  expect_user_error(cli::run("plot a b"), "a: no metrics.jsonl");  // plot takes several runs
}

TEST(SilentCases, APipelineThatDisagreesWithItsCheckpointNamesTheFirstDifferingKey) {
  cli::TempDir dir;
  ASSERT_EQ(cli::run("train " + dir.file("p.toml", kTiny) + " -q --out " + dir.path("run")).status, 0);
  const std::string ckpt = " --checkpoint " + dir.path("run/checkpoint.pt");
  // same depth, other width: the weights would have loaded into the checkpoint's shape and ignored the pipeline
  auto wide = cli::run("sample " + dir.file("w.toml", with(kTiny, "width = 32", "width = 64")) + ckpt + " -q --out " +
                       dir.path("w.npy"));
  expect_user_error(wide, "width");
  EXPECT_FALSE(std::filesystem::exists(dir.path("w.npy")));
  // other depth: once LibTorch's own error (exit 1)
  expect_user_error(cli::run("sample " + dir.file("d.toml", with(kTiny, "depth = 2", "depth = 3")) + ckpt + " -q --out " +
                             dir.path("d.npy")),
                    "depth");
  // the checkpoint's own table, unchanged, samples
  EXPECT_EQ(cli::run("sample " + dir.path("p.toml") + ckpt + " -q --out " + dir.path("ok.npy")).status, 0);
}

TEST(SilentCases, ResumingWithANewLearningRateIsANoticeRecordedInTheRun) {
  cli::TempDir dir;
  const std::string pipe = dir.file("p.toml", kTiny), run = " -q --out " + dir.path("run");
  ASSERT_EQ(cli::run("train " + pipe + run).status, 0);
  auto r = cli::run("train " + pipe + run + " --set train.steps=80 --set train.lr=1e-4");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("note: resuming with [train] lr = 0.0001 (was 0.002)"), std::string::npos) << r.out;
  const std::string metrics = scoregen::engine::read_file(dir.path("run/metrics.jsonl"));
  EXPECT_NE(metrics.find("{\"step\": 60, \"event\": \"resumed with [train] lr = 0.0001 (was 0.002)\"}"), std::string::npos)
      << metrics;
  // a changed network is not a resume of this run
  expect_user_error(cli::run("train " + pipe + run + " --set train.steps=100 --set network.width=16"), "width");
}

TEST(SilentCases, ResumingWithFewerStepsThanTrainedIsAnError) {
  cli::TempDir dir;
  const std::string pipe = dir.file("p.toml", kTiny), run = " -q --out " + dir.path("run");
  ASSERT_EQ(cli::run("train " + pipe + run).status, 0);
  expect_user_error(cli::run("train " + pipe + run + " --set train.steps=30"), "already at step 60");
}

TEST(SilentCases, AnAttentionResolutionMatchingNoUnetLevelIsAnError) {
  cli::TempDir dir;
  auto r = cli::run("train " + cli::source("pipelines/fashion_mnist_vp.toml") + " -q --set network.attn_resolutions=[5] "
                    "--set train.steps=1 --out " + dir.path("run"));
  expect_user_error(r, "attn_resolutions");
  EXPECT_NE(r.out.find("5 matches no level"), std::string::npos) << r.out;
}

TEST(SilentCases, NllOfEightBitImagesIsDequantizedByDefault) {
  // the shipped VP model: its stored pipeline has no [nll] table, so the defaults apply
  auto r = cli::run("nll --checkpoint " + cli::source("share/models/fashion_mnist_vp.pt") +
                    " -q --threads 2 --set nll.num=2 --set nll.batch_size=2 --set nll.rtol=1e-3 --set nll.atol=1e-3");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("uniformly dequantized ((x 255 + U) / 256, 1 draw(s) per example)"), std::string::npos) << r.out;
  const auto at = r.out.find("bits/dim: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const double bpd = std::stod(r.out.substr(at + 10));
  EXPECT_GT(bpd, 2.0) << r.out;  // without dequantization it was about -4
  EXPECT_LT(bpd, 6.0) << r.out;
}

TEST(SilentCases, DequantizationOfContinuousDataIsAnError) {
  expect_user_error(cli::run("nll " + kOracle + " -q --set nll.dequantize=1"), "dequantize");
  EXPECT_EQ(cli::run("nll " + kOracle + " -q --set nll.num=4 --set nll.dequantize=0").status, 0);
}

TEST(SilentCases, InterpolateStepsIsNowPoints) {
  expect_user_error(cli::run("interpolate " + kOracle + " -q --latent z.npy --steps 5"), "--points");
}
