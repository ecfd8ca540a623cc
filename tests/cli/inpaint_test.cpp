// `scoregen inpaint` and `sample --class` (gradient and SMC guidance) through the binary, on a tiny 4x4 image model (the oracle).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

namespace {

// A pipeline over 4x4 images with channels c whose oracle is one Gaussian at 0 (mid-grey) with std 0.3.
std::string pipeline(const cli::TempDir& dir, int c) {
  std::filesystem::create_directories(dir.path("data"));
  cv::imwrite(dir.path("data/a.png"), cv::Mat(4, 4, c == 1 ? CV_8UC1 : CV_8UC3, cv::Scalar::all(128)));
  std::string zeros;
  for (int i = 0; i < 16 * c; ++i) zeros += i ? ", 0.0" : "0.0";
  return dir.file("p.toml", "[sde]\nplugin = \"vp\"\nN = 100\n[data]\nplugin = \"images\"\nroot = \"" + dir.path("data") +
                                "\"\nsize = 4\nchannels = " + std::to_string(c) +
                                "\n[network]\nplugin = \"gaussian-mixture\"\nweights = [1.0]\nmeans = [[" + zeros +
                                "]]\nstds = [0.3]\n[sampler]\nplugin = \"pc\"\ncorrector = \"none\"\n");
}

}  // namespace

TEST(Inpaint, KeepsTheKnownPixelsAndFillsTheRest) {
  cli::TempDir dir;
  std::string pipe = pipeline(dir, 1);
  cv::Mat img(4, 4, CV_8UC1, cv::Scalar(255));  // white image: +1 in [-1, 1]
  cv::imwrite(dir.path("in.png"), img);
  cv::Mat mask(4, 4, CV_8UC1, cv::Scalar(0));
  mask(cv::Rect(0, 0, 4, 2)).setTo(255);  // keep the top half
  cv::imwrite(dir.path("mask.png"), mask);
  auto r = cli::run("inpaint " + pipe + " -q --image " + dir.path("in.png") + " --mask " + dir.path("mask.png") +
                    " --num 64 --out " + dir.path("out.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  at::Tensor x = scoregen::engine::load_npy(dir.path("out.npy"));
  ASSERT_EQ(x.sizes(), at::IntArrayRef({64, 1, 4, 4}));
  EXPECT_TRUE(at::allclose(x.narrow(2, 0, 2), at::ones({64, 1, 2, 4}), 0, 1e-6));  // known: exactly the data
  // unknown: the oracle's pixels are independent N(0, 0.3^2), so the fill ignores the white half
  at::Tensor fill = x.narrow(2, 2, 2);
  EXPECT_NEAR(fill.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(fill.std().item<double>(), 0.3, 0.05);
  auto png = cli::run("inpaint " + pipe + " -q --image " + dir.path("in.png") + " --mask " + dir.path("mask.png") +
                      " --out " + dir.path("out.png"));
  EXPECT_EQ(png.status, 0) << png.out;
  // the PNG: the input, the masked input and the mask above the completion, each 4x4 tile magnified 16 times to 64
  // pixels with 2 between: three columns, two rows
  cv::Mat grid = cv::imread(dir.path("out.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(grid.size(), cv::Size(3 * 66 + 2, 2 * 66 + 2));
  auto pixel = [&](int row, int col, int y, int x) { return static_cast<int>(grid.at<unsigned char>(2 + 66 * row + y, 2 + 66 * col + x)); };
  EXPECT_EQ(pixel(0, 0, 50, 10), 255);  // the input, whole
  EXPECT_EQ(pixel(0, 1, 10, 10), 255);  // the masked input: the kept half
  EXPECT_EQ(pixel(0, 1, 50, 10), 128);  // and the filled half grey, the middle of [-1, 1]
  EXPECT_EQ(pixel(0, 2, 10, 10), 255);  // the mask: white kept
  EXPECT_EQ(pixel(0, 2, 50, 10), 0);    // black filled
  EXPECT_EQ(pixel(1, 0, 10, 10), 255);  // the completion keeps the known half
}

TEST(Inpaint, BadMasksAndSizesAreClearErrors) {
  cli::TempDir dir;
  std::string pipe = pipeline(dir, 1);
  cv::imwrite(dir.path("in.png"), cv::Mat(4, 4, CV_8UC1, cv::Scalar(200)));
  cv::imwrite(dir.path("big.png"), cv::Mat(5, 4, CV_8UC1, cv::Scalar(200)));
  cv::imwrite(dir.path("grey_mask.png"), cv::Mat(4, 4, CV_8UC1, cv::Scalar(100)));
  cv::imwrite(dir.path("small_mask.png"), cv::Mat(3, 3, CV_8UC1, cv::Scalar(255)));
  cv::imwrite(dir.path("mask.png"), cv::Mat(4, 4, CV_8UC1, cv::Scalar(255)));
  std::string base = "inpaint " + pipe + " -q --out " + dir.path("out.png");
  auto a = cli::run(base + " --image " + dir.path("in.png") + " --mask " + dir.path("grey_mask.png"));
  EXPECT_EQ(a.status, 2);
  EXPECT_NE(a.out.find("grey_mask.png: the mask is not binary"), std::string::npos) << a.out;
  auto b = cli::run(base + " --image " + dir.path("in.png") + " --mask " + dir.path("small_mask.png"));
  EXPECT_EQ(b.status, 2);
  EXPECT_NE(b.out.find("small_mask.png: mask of size [3, 3] does not match the image's [1, 4, 4]"), std::string::npos) << b.out;
  auto c = cli::run(base + " --image " + dir.path("big.png") + " --mask " + dir.path("mask.png"));
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.out.find("big.png: shape [1, 5, 4] does not match the model's [1, 4, 4]"), std::string::npos) << c.out;
  auto d = cli::run(base + " --image " + dir.path("missing.png") + " --mask " + dir.path("mask.png"));
  EXPECT_EQ(d.status, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.path("out.png")));
}

TEST(Inpaint, ColorizeKeepsTheGreyLevel) {
  cli::TempDir dir;
  std::string pipe = pipeline(dir, 3);
  cv::imwrite(dir.path("grey.png"), cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(191)));  // 0.5 in [-1, 1]
  auto r = cli::run("inpaint " + pipe + " -q --colorize --image " + dir.path("grey.png") + " --num 32 --out " +
                    dir.path("c.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  at::Tensor x = scoregen::engine::load_npy(dir.path("c.npy"));
  // the mean over channels (the grey channel of the decoupled space) is exactly the input's
  EXPECT_TRUE(at::allclose(x.mean(1), at::full({32, 4, 4}, 191.0 / 255.0 * 2 - 1), 0, 1e-5));
  EXPECT_GT(x.std(1).mean().item<double>(), 0.05);  // and the colours vary
}

TEST(Sample, ClassGuidanceThroughTheCli) {
  cli::TempDir dir;
  const char* mix = "weights = [0.7, 0.3]\nmeans = [[-3.0, 0.0], [3.0, 0.0]]\nstds = [0.5, 0.5]\n";
  std::string pipe = dir.file("p.toml", std::string("[sde]\nplugin = \"vp\"\nN = 200\n[network]\nplugin = \"gaussian-mixture\"\n") +
                                            mix + "[guidance]\nplugin = \"mixture-posterior\"\n" + mix + "[sampler]\nplugin = \"pc\"\n");
  auto r = cli::run("sample " + pipe + " -q --num 500 --class 1 --out " + dir.path("x.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  at::Tensor x = scoregen::engine::load_npy(dir.path("x.npy"));
  EXPECT_GT((x.select(1, 0) > 0).to(at::kDouble).mean().item<double>(), 0.99);
  auto bad = cli::run("sample " + pipe + " -q --num 5 --class 7 --out " + dir.path("y.npy"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.out.find("--class 7: the [guidance] mixture-posterior tells apart classes 0..1"), std::string::npos)
      << bad.out;
}

TEST(Sample, ClassGuidanceBySequentialMonteCarlo) {
  cli::TempDir dir;
  const std::string base = "sample " + cli::source("pipelines/toy_oracle_guidance.toml") + " -q --set sde.N=100";
  // pc with reverse diffusion and one Langevin step: both moves guided and weighed
  auto r = cli::run(base + " --class 2 --guidance smc --particles 4 --sweeps 2 --num 300 --out " + dir.path("x.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("smc: 4 particles per sample, 2 sweeps combined by independent Metropolis-Hastings "
                       "(acceptance "), std::string::npos) << r.out;
  EXPECT_NE(scoregen::engine::read_file(dir.path("x.npy.toml")).find("smc = { particles = 4, sweeps = 2, acceptance = "),
            std::string::npos);
  EXPECT_NE(r.out.find("in 200 moves per sweep"), std::string::npos) << r.out;  // 100 steps x (corrector + predictor)
  EXPECT_NE(r.out.find("NFE: 400 per batch"), std::string::npos) << r.out;      // 2 sweeps
  at::Tensor x = scoregen::engine::load_npy(dir.path("x.npy"));
  ASSERT_EQ(x.sizes(), at::IntArrayRef({300, 2}));
  // component 2: N((3, -3), 0.3^2 I)
  EXPECT_LT((x - at::tensor({3.0f, -3.0f})).norm(2, 1).max().item<double>(), 2.0);
  EXPECT_NEAR(x.select(1, 0).mean().item<double>(), 3.0, 0.1);
  EXPECT_NEAR(x.select(1, 1).std().item<double>(), 0.3, 0.06);

  // Settings that could not take effect are one-line errors, with nothing written
  cli::expect_user_error(cli::run(base + " --guidance smc --out " + dir.path("a.npy")),
                         "conditions on a class: pass --class Y");
  cli::expect_user_error(cli::run(base + " --class 2 --particles 8 --out " + dir.path("b.npy")),
                         "[sample] particles: only sequential Monte Carlo uses it");
  cli::expect_user_error(cli::run(base + " --class 2 --sweeps 2 --out " + dir.path("b.npy")),
                         "[sample] sweeps: only sequential Monte Carlo uses it");
  cli::expect_user_error(cli::run(base + " --class 2 --guidance smc --sampler ode --out " + dir.path("c.npy")),
                         "the ode sampler does not hand over");
  cli::expect_user_error(cli::run(base + " --class 3 --guidance smc --out " + dir.path("d.npy")),
                         "--class 3: the [guidance] mixture-posterior tells apart classes 0..2");
  for (const char* f : {"a.npy", "b.npy", "c.npy", "d.npy"}) EXPECT_FALSE(std::filesystem::exists(dir.path(f))) << f;
}

TEST(Inpaint, TwoDimensionalDataAndASamplerThatCannotProjectIsRefused) {
  cli::TempDir dir;
  scoregen::engine::save_npy(at::tensor({3.0f, 0.0f}), dir.path("known.npy"));
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}), dir.path("mask.npy"));
  const std::string base = "inpaint " + cli::source("pipelines/oracle_mixture.toml") + " -q --image " +
                           dir.path("known.npy") + " --mask " + dir.path("mask.npy");
  // An adaptive ODE solve cannot apply the known coordinate at every step: its completions would ignore it.
  cli::expect_user_error(cli::run(base + " --sampler ode --out " + dir.path("ode.npy")),
                         "the ode sampler cannot apply the inpainting projection after every update");
  EXPECT_FALSE(std::filesystem::exists(dir.path("ode.npy")));
  // The pc sampler completes the free coordinate on the conditional modes y = +-3 given x = 3.
  auto pc = cli::run(base + " --num 200 --set sde.N=200 --out " + dir.path("pc.npy"));
  ASSERT_EQ(pc.status, 0) << pc.out;
  at::Tensor x = scoregen::engine::load_npy(dir.path("pc.npy"));
  ASSERT_EQ(x.sizes(), at::IntArrayRef({200, 2}));
  EXPECT_TRUE(at::all(x.select(1, 0) == 3.0f).item<bool>());
  EXPECT_GT((x.select(1, 1).abs() > 1.0).to(at::kDouble).mean().item<double>(), 0.95);
}

TEST(Inpaint, SequentialMonteCarloOnTwoDimensionalData) {
  cli::TempDir dir;
  // One row [1, 2], as a data set's example is saved; the mask too
  scoregen::engine::save_npy(at::tensor({3.0f, 0.0f}).reshape({1, 2}), dir.path("known.npy"));
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}).reshape({1, 2}), dir.path("mask.npy"));
  const std::string base = "inpaint " + cli::source("pipelines/oracle_mixture.toml") + " -q --image " +
                           dir.path("known.npy") + " --mask " + dir.path("mask.npy") + " --set sde.N=100";
  // pc with the pipeline's one-step Langevin corrector: both moves are Gaussian, both are weighed
  // the default 16 particles and 4 sweeps
  auto smc = cli::run(base + " --set inpaint.method='\"smc\"' --num 300 --out " + dir.path("smc.npy"));
  ASSERT_EQ(smc.status, 0) << smc.out;
  EXPECT_NE(smc.out.find("by sequential Monte Carlo, 16 particles per completion and 4 sweep(s)"), std::string::npos)
      << smc.out;
  EXPECT_NE(smc.out.find("smc: 16 particles per completion, 4 sweeps combined by independent Metropolis-Hastings "
                         "(acceptance "), std::string::npos) << smc.out;
  // the diagnostics in the output's record, and the warning exactly when the smallest ESS fell below 3 particles
  const std::string record = scoregen::engine::read_file(dir.path("smc.npy.toml"));
  const auto at = record.find("smc = { particles = 16, sweeps = 4, acceptance = ");
  ASSERT_NE(at, std::string::npos) << record;
  const auto ess_at = record.find("min_ess = ", at);
  ASSERT_NE(ess_at, std::string::npos) << record;
  const double min_ess = std::stod(record.substr(ess_at + std::string("min_ess = ").size()));
  EXPECT_NE(record.find("median_ess = ", at), std::string::npos);
  EXPECT_EQ(smc.out.find("smc: warning: the effective sample size fell to") != std::string::npos, min_ess < 3) << smc.out;
  if (min_ess < 3) EXPECT_NE(smc.out.find("raise --particles ([inpaint] particles)"), std::string::npos) << smc.out;
  EXPECT_NE(smc.out.find("in 200 moves per sweep"), std::string::npos) << smc.out;  // 100 steps x (corrector + predictor)
  EXPECT_NE(smc.out.find("NFE 1600"), std::string::npos) << smc.out;  // the sampler's and SMC's own, per move, 4 sweeps
  at::Tensor x = scoregen::engine::load_npy(dir.path("smc.npy"));
  ASSERT_EQ(x.sizes(), at::IntArrayRef({300, 2}));
  EXPECT_TRUE(at::all(x.select(1, 0) == 3.0f).item<bool>());
  EXPECT_GT((x.select(1, 1).abs() > 1.0).to(at::kDouble).mean().item<double>(), 0.95);  // on the modes y = +-3
  // Given x = 3 the modes y = 3 (weight 0.3, std 1) and y = -3 (0.2, std 0.3) have posterior weights
  // 0.3 N(0; 0, 1) : 0.2 N(0; 0, 0.3^2) = 0.310 : 0.690; 300 completions have a standard error of 0.027.
  // SMC lands near it (0.31-0.36 over seeds 0-2); replacement, on the same moves, does not (0.57).
  auto upper = [](const at::Tensor& c) { return (c.select(1, 1) > 0).to(at::kDouble).mean().item<double>(); };
  EXPECT_NEAR(upper(x), 0.310, 0.08);
  auto replaced = cli::run(base + " --num 300 --out " + dir.path("replace.npy"));
  ASSERT_EQ(replaced.status, 0) << replaced.out;
  EXPECT_GT(upper(scoregen::engine::load_npy(dir.path("replace.npy"))), 0.45);

  // What SMC cannot weigh, and keys that would not take effect, are one-line errors
  cli::expect_user_error(cli::run(base + " --method smc --sampler ode --out " + dir.path("ode.npy")),
                         "the ode sampler does not hand over");
  cli::expect_user_error(cli::run(base + " --method smc --set sampler.jump_length=10 --set sampler.resample=2 --out " +
                          dir.path("r.npy")), "the pc sampler with its defaults does (here: jump_length = 10, resample = 2");
  cli::expect_user_error(cli::run(base + " --method smc --set sampler.n_steps=2 --out " + dir.path("l.npy")),
                         "corrector langevin: its update is not one Gaussian move");
  cli::expect_user_error(cli::run(base + " --particles 8 --out " + dir.path("u.npy")),
                         "[inpaint] particles: only sequential Monte Carlo uses it");
  cli::expect_user_error(cli::run(base + " --sweeps 0 --method smc --out " + dir.path("u.npy")), "[inpaint] sweeps");
  for (const char* f : {"ode.npy", "r.npy", "l.npy", "u.npy"}) EXPECT_FALSE(std::filesystem::exists(dir.path(f))) << f;
}
