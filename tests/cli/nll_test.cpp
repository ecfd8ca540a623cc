// `scoregen nll`, `encode`, `decode`, `interpolate` through the binary.
#include <gtest/gtest.h>

#include <regex>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

namespace {
const char* kOracle = R"([sde]
plugin = "vp"
[data]
plugin = "mixture"
weights = [0.5, 0.5]
means = [[-2.0, 0.0], [2.0, 0.0]]
stds = [0.5, 0.5]
[network]
plugin = "gaussian-mixture"
weights = [0.5, 0.5]
means = [[-2.0, 0.0], [2.0, 0.0]]
stds = [0.5, 0.5]
)";

// "log-likelihood: M +- S nats"
std::pair<double, double> mean_and_se(const std::string& out) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(out, m, std::regex("log-likelihood: (-?[0-9.]+) \\+- ([0-9.]+) nats"))) << out;
  return m.size() == 3 ? std::pair<double, double>{std::stod(m[1]), std::stod(m[2])} : std::pair<double, double>{0, 0};
}
}  // namespace

TEST(Nll, HutchinsonAgreesWithExactOnATrainedToyModel) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", R"(seed = 2
[sde]
plugin = "vp"
[data]
plugin = "moons"
[network]
plugin = "mlp"
width = 64
[train]
steps = 1500
batch_size = 128
[nll]
num = 200
)");
  ASSERT_EQ(cli::run("train " + pipe + " -q --out " + dir.path("run")).status, 0);
  std::string ckpt = dir.path("run/checkpoint.pt");
  auto exact = cli::run("nll --checkpoint " + ckpt + " -q --divergence exact --out " + dir.path("nll.csv"));
  auto hutch = cli::run("nll --checkpoint " + ckpt + " -q --divergence gaussian --set nll.n_probes=4");
  ASSERT_EQ(exact.status, 0) << exact.out;
  ASSERT_EQ(hutch.status, 0) << hutch.out;
  auto [me, se] = mean_and_se(exact.out);
  auto [mh, sh] = mean_and_se(hutch.out);
  EXPECT_LT(std::abs(me - mh), 3 * std::max(se, sh)) << exact.out << hutch.out;
  // A trained model beats the best Gaussian fit of the moons (about -3.6 nats per example)
  EXPECT_GT(me, -3.3) << exact.out;
  EXPECT_NE(exact.out.find("convention: continuous data"), std::string::npos);
  std::string csv = scoregen::engine::read_file(dir.path("nll.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 201);
}

TEST(Nll, EightBitImagesReportTheirConvention) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", R"([sde]
plugin = "vp"
[data]
plugin = "idx"
split = "t10k"
[network]
plugin = "gaussian-mixture"
weights = [1.0]
means = [[0.0]]
stds = [1.0]
)");
  auto r = cli::run("nll " + pipe + " -q --num 2");
  EXPECT_EQ(r.status, 2) << r.out;  // the oracle has 1 dimension, the images 784
  EXPECT_NE(r.out.find("784"), std::string::npos) << r.out;
}

TEST(Latent, EncodeDecodeInterpolateThroughTheCli) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kOracle);
  auto e = cli::run("encode " + pipe + " -q --num 8 --out " + dir.path("z.npy"));
  ASSERT_EQ(e.status, 0) << e.out;
  auto d = cli::run("decode " + pipe + " -q --latent " + dir.path("z.npy") + " --out " + dir.path("x.npy"));
  ASSERT_EQ(d.status, 0) << d.out;
  at::Tensor z = scoregen::engine::load_npy(dir.path("z.npy")), x = scoregen::engine::load_npy(dir.path("x.npy"));
  EXPECT_EQ(z.sizes(), at::IntArrayRef({8, 2}));
  // decode(encode(x)) = x: the first 8 draws of [data] with the same seed
  auto again = cli::run("encode " + pipe + " -q --num 8 --out " + dir.path("z2.npy"));
  ASSERT_EQ(again.status, 0);
  EXPECT_TRUE(at::equal(scoregen::engine::load_npy(dir.path("z2.npy")), z));
  auto i = cli::run("interpolate " + pipe + " -q --latent " + dir.path("z.npy") + " --points 5 --out " + dir.path("i.npy"));
  ASSERT_EQ(i.status, 0) << i.out;
  EXPECT_EQ(scoregen::engine::load_npy(dir.path("i.npy")).sizes(), at::IntArrayRef({5, 2}));
  auto bad = cli::run("decode " + pipe + " -q --latent " + dir.file("bad.npy", "junk") + " --out " + dir.path("y.npy"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.out.find("not a .npy file"), std::string::npos) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(dir.path("y.npy")));
}

// The smld ladder and the ddpm chain have kernels only on their grid: no PF-ODE, so no likelihood or latents.
TEST(Nll, DiscreteChainsAreRefused) {
  cli::TempDir dir;
  for (const char* sde : {"plugin = \"smld\"\nsigma_max = 4.0", "plugin = \"ddpm\""}) {
    std::string text = std::regex_replace(std::string(kOracle), std::regex("plugin = \"vp\""), sde);
    std::string pipe = dir.file("p.toml", text);
    auto r = cli::run("nll " + pipe + " -q --num 4 --out " + dir.path("ll.csv"));
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find("needs a continuous-time [sde]"), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir.path("ll.csv")));
    auto e = cli::run("encode " + pipe + " -q --num 4 --out " + dir.path("z.npy"));
    EXPECT_EQ(e.status, 2) << e.out;
    EXPECT_FALSE(std::filesystem::exists(dir.path("z.npy")));
  }
}
