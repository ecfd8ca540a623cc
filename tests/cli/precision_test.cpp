// --precision bf16: the network under LibTorch's autocast, everything else in float32. Its samples and likelihoods
// are close to float32's but not the same bits (so the switch takes effect), it is recorded, and it trains.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <ATen/ATen.h>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

namespace {

// The mean of the nll CSV's bits/dim column.
double mean_bpd(const std::string& csv) {
  std::istringstream in(scoregen::engine::read_file(csv));
  std::string line;
  std::getline(in, line);  // header
  double sum = 0;
  int n = 0;
  while (std::getline(in, line))
    if (!line.empty()) sum += std::stod(line.substr(line.rfind(',') + 1)), ++n;
  return n ? sum / n : NAN;
}

}  // namespace

TEST(Precision, Bf16IsCloseToFloat32AndRecorded) {
  cli::TempDir dir;
  const std::string pipe = dir.file("p.toml", cli::MoonsMlp{7, 100, 64, 300, 64, "[sampler]\nplugin = \"unipc\"\nsteps = 10\n"}.text());
  ASSERT_EQ(cli::run("train " + pipe + " -q --precision bf16 --out " + dir.path("run")).status, 0);
  const std::string ckpt = " --checkpoint " + dir.path("run/checkpoint.pt");
  for (const char* p : {"float32", "bf16"}) {
    auto s = cli::run(std::string("sample") + ckpt + " -q --num 512 --precision " + p + " --out " + dir.path(std::string(p) + ".npy"));
    ASSERT_EQ(s.status, 0) << s.out;
    auto n = cli::run(std::string("nll") + ckpt + " -q --set nll.num=64 --precision " + p + " --out " + dir.path(std::string(p) + ".csv"));
    ASSERT_EQ(n.status, 0) << n.out;
  }
  at::Tensor a = scoregen::engine::load_npy(dir.path("float32.npy")), b = scoregen::engine::load_npy(dir.path("bf16.npy"));
  const double diff = (a - b).abs().median().item<double>(), scale = a.abs().mean().item<double>();
  EXPECT_GT(diff, 0.0);            // bf16 took effect
  EXPECT_LT(diff, 0.02 * scale);   // and half of the samples moved by under 2% of the data's scale
  EXPECT_NEAR(mean_bpd(dir.path("bf16.csv")), mean_bpd(dir.path("float32.csv")), 0.05);
  EXPECT_NE(scoregen::engine::read_file(dir.path("bf16.npy.toml")).find("precision = \"bf16\""), std::string::npos);
  auto bad = cli::run("sample" + ckpt + " -q --num 4 --precision fp16 --out " + dir.path("x.npy"));
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.out.find("precision"), std::string::npos) << bad.out;
}
