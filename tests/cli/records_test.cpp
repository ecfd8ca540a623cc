// Records that tell the truth: every output has one (a sidecar, and a text chunk in a PNG) with the resolved
// pipeline, the command line, the inputs with their SHA-256 (checkpoints with their step), the seed and threads;
// `scoregen rerun` makes each output again, bit for bit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

namespace {

using scoregen::engine::read_file;

const std::string kOracle = cli::source("pipelines/oracle_mixture.toml");

const std::string kTiny = cli::MoonsMlp{3, 100, 32, 40, 64, "[sampler]\nplugin = \"pc\"\n"}.text();

// Reruns `record` into `again` and expects the same bytes (or the same pixels, for a PNG whose embedded record
// names its own file).
void expect_rerun_identical(const std::string& output, const std::string& again) {
  const std::string record = output + ".toml";
  ASSERT_TRUE(std::filesystem::exists(record)) << record;
  auto r = cli::run("rerun " + record + " -q --out " + again);
  ASSERT_EQ(r.status, 0) << r.out;
  if (std::filesystem::path(output).extension() == ".png") {
    const std::string a = cli::png_pixels(output);
    ASSERT_FALSE(a.empty()) << output;
    EXPECT_TRUE(a == cli::png_pixels(again)) << output;
  } else {
    EXPECT_TRUE(read_file(output) == read_file(again)) << output;
  }
}

}  // namespace

TEST(Records, EveryCommandsOutputIsMadeAgainBitForBit) {
  cli::TempDir dir;
  const std::string common = " -q --threads 1 --set sde.N=40";
  auto run = [&](const std::string& args) {
    auto r = cli::run(args);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.out;
  };
  run("sample " + kOracle + common + " --num 64 --out " + dir.path("s.png"));
  expect_rerun_identical(dir.path("s.png"), dir.path("s2.png"));
  run("sample " + kOracle + common + " --num 64 --out " + dir.path("s.npy"));
  expect_rerun_identical(dir.path("s.npy"), dir.path("s2.npy"));
  run("encode " + kOracle + common + " --num 8 --out " + dir.path("z.npy"));
  expect_rerun_identical(dir.path("z.npy"), dir.path("z2.npy"));
  run("decode " + kOracle + common + " --latent " + dir.path("z.npy") + " --out " + dir.path("x.npy"));
  expect_rerun_identical(dir.path("x.npy"), dir.path("x2.npy"));
  run("interpolate " + kOracle + common + " --latent " + dir.path("z.npy") + " --points 5 --out " + dir.path("i.png"));
  expect_rerun_identical(dir.path("i.png"), dir.path("i2.png"));
  run("nll " + kOracle + common + " --set nll.num=8 --out " + dir.path("n.csv"));
  expect_rerun_identical(dir.path("n.csv"), dir.path("n2.csv"));
  scoregen::engine::save_npy(at::tensor({3.0f, 0.0f}), dir.path("in.npy"));
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}), dir.path("mask.npy"));
  run("inpaint " + kOracle + common + " --num 4 --image " + dir.path("in.npy") + " --mask " + dir.path("mask.npy") +
      " --out " + dir.path("p.npy"));
  expect_rerun_identical(dir.path("p.npy"), dir.path("p2.npy"));
  run("eval " + cli::source("pipelines/ncsn_mode_weights.toml") + " -q --threads 1 --set eval.num=200 --out " +
      dir.path("e.txt"));
  expect_rerun_identical(dir.path("e.txt"), dir.path("e2.txt"));
  run("score-map " + kOracle + " -q --threads 1 --out " + dir.path("m.png"));
  expect_rerun_identical(dir.path("m.png"), dir.path("m2.png"));
  scoregen::engine::save_npy(at::tensor({3.0f, 0.0f, 1.0f, -1.0f}).reshape({2, 2}), dir.path("points.npy"));
  run("score " + kOracle + " -q --threads 1 --data " + dir.path("points.npy") + " -t 0.1,1 --out " + dir.path("sc.npy"));
  expect_rerun_identical(dir.path("sc.npy"), dir.path("sc2.npy"));
}

TEST(Records, GuidedSamplesFromACheckpointRecordTheClassScaleAndCheckpoint) {
  cli::TempDir dir;
  const std::string pipe = dir.file("p.toml", kTiny);
  ASSERT_EQ(cli::run("train " + pipe + " -q --out " + dir.path("run")).status, 0);
  const std::string ckpt = dir.path("run/checkpoint.pt");
  auto r = cli::run("sample --checkpoint " + ckpt + " -q --threads 1 --num 32 --out " + dir.path("c.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string record = read_file(dir.path("c.npy.toml"));
  EXPECT_NE(record.find("role = \"checkpoint\", path = \"" + ckpt + "\", sha256 = \""), std::string::npos) << record;
  EXPECT_NE(record.find("step = 40 }"), std::string::npos) << record;
  EXPECT_NE(record.find("[network]\nplugin = \"mlp\""), std::string::npos) << record;
  expect_rerun_identical(dir.path("c.npy"), dir.path("c2.npy"));

  // guidance: the class and the scale are in the recorded command line, and rerun makes the same samples
  const std::string guided = cli::source("pipelines/toy_oracle_guidance.toml");
  auto g = cli::run("sample " + guided + " -q --threads 1 --num 64 --class 1 --guidance-scale 2 --out " + dir.path("g.npy"));
  ASSERT_EQ(g.status, 0) << g.out;
  const std::string grecord = read_file(dir.path("g.npy.toml"));
  EXPECT_NE(grecord.find("\"--class\", \"1\", \"--guidance-scale\", \"2\""), std::string::npos) << grecord;
  expect_rerun_identical(dir.path("g.npy"), dir.path("g2.npy"));

  // a changed input is named, and nothing is written
  { std::ofstream(ckpt, std::ios::app) << "x"; }
  auto changed = cli::run("rerun " + dir.path("c.npy.toml") + " -q --out " + dir.path("c3.npy"));
  EXPECT_EQ(changed.status, 2) << changed.out;
  EXPECT_NE(changed.out.find("its checkpoint " + ckpt + " changed since the record was made"), std::string::npos)
      << changed.out;
  EXPECT_FALSE(std::filesystem::exists(dir.path("c3.npy")));
}

TEST(Records, APngCarriesItsRecordAndRerunsFromIt) {
  cli::TempDir dir;
  ASSERT_EQ(cli::run("sample " + kOracle + " -q --threads 1 --set sde.N=30 --num 32 --out " + dir.path("s.png")).status, 0);
  const std::string png = read_file(dir.path("s.png"));
  const auto chunk = png.find(std::string("tEXtscoregen-record") + '\0');
  ASSERT_NE(chunk, std::string::npos);
  EXPECT_LT(chunk, 64u);  // right after the header, where readers look first
  EXPECT_NE(png.find("[record]\nscoregen = "), std::string::npos);
  auto r = cli::run("rerun " + dir.path("s.png") + " -q --out " + dir.path("t.png"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(cli::png_pixels(dir.path("s.png")) == cli::png_pixels(dir.path("t.png")));
  auto bad = cli::run("rerun " + cli::source("pipelines/oracle_mixture.toml"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.out.find("not a scoregen record"), std::string::npos) << bad.out;
}
