// Pictures drawn with OpenCV where people look: scatter plots with axes (and the data beneath), interpolation
// paths, magnified and one-per-sample image grids, metric plots of a run and sample grids during training.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "cli_support.hpp"
#include "engine/io/files.hpp"

namespace {

const std::string kOracle = cli::source("pipelines/oracle_mixture.toml");

// Pixels of `image` (BGR) for which pred(b, g, r) holds.
template <class Pred>
int pixels_where(const cv::Mat& image, Pred pred) {
  int n = 0;
  for (int y = 0; y < image.rows; ++y)
    for (int x = 0; x < image.cols; ++x) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
      n += pred(p[0], p[1], p[2]) ? 1 : 0;
    }
  return n;
}

bool grey(int b, int g, int r, int lo, int hi) { return b == g && g == r && b >= lo && b <= hi; }

}  // namespace

TEST(Pictures, TwoDimensionalSamplesAreAScatterPlotWithAxesAndTheDataBeneath) {
  cli::TempDir dir;
  const std::string common = " -q --num 500 --steps 50 --out ";
  ASSERT_EQ(cli::run("sample " + kOracle + common + dir.path("plain.png")).status, 0);
  ASSERT_EQ(cli::run("sample " + kOracle + common + dir.path("over.png") + " --overlay").status, 0);
  cv::Mat plain = cv::imread(dir.path("plain.png")), over = cv::imread(dir.path("over.png"));
  ASSERT_EQ(plain.cols, 720);
  ASSERT_EQ(plain.rows, 720);
  // the frame: a dark line across the top of the plot area, and tick marks below it
  const cv::Mat top_edge = plain.row(62);
  EXPECT_GT(pixels_where(top_edge, [](int b, int g, int r) { return b < 100 && g < 100 && r < 100; }), 600);
  // blue sample points, and with --overlay the grey data points (170 at 70% on white: 196)
  EXPECT_GT(pixels_where(plain, [](int b, int g, int r) { return b > 150 && r < 120 && g < 150; }), 500);
  const int data_plain = pixels_where(plain, [](int b, int g, int r) { return grey(b, g, r, 190, 202); });
  const int data_over = pixels_where(over, [](int b, int g, int r) { return grey(b, g, r, 190, 202); });
  EXPECT_GT(data_over, data_plain + 500) << data_plain << " " << data_over;
  // --overlay without a [data] set is an error
  const std::string no_data = dir.file("n.toml", "[sde]\nplugin = \"vp\"\n[network]\nplugin = \"gaussian-mixture\"\n"
                                                "means = [[0.0, 0.0]]\nstds = [1.0]\nweights = [1.0]\n");
  auto none = cli::run("sample " + no_data + " --overlay -q --num 4 --out " + dir.path("x.png"));
  EXPECT_EQ(none.status, 2) << none.out;
}

TEST(Pictures, InterpolationOnTwoDimensionalDataDrawsThePath) {
  cli::TempDir dir;
  ASSERT_EQ(cli::run("encode " + kOracle + " -q --num 2 --out " + dir.path("z.npy")).status, 0);
  ASSERT_EQ(cli::run("interpolate " + kOracle + " -q --latent " + dir.path("z.npy") + " --points 9 --out " +
                     dir.path("path.png")).status, 0);
  cv::Mat path = cv::imread(dir.path("path.png"));
  ASSERT_FALSE(path.empty());
  // the orange polyline through the points ((20, 120, 230) BGR at 70% on white)
  EXPECT_GT(pixels_where(path, [](int b, int g, int r) { return r > 200 && g > 120 && g < 180 && b < 115; }), 100);
}

TEST(Pictures, ImageGridsMagnifyAndSplit) {
  cli::TempDir dir;
  auto r = cli::run("sample --checkpoint " + cli::source("share/models/fashion_mnist_vp.pt") +
                    " -q --threads 2 --num 3 --sampler dpm-solver++ --steps 2 --scale 3 --grid off --out " +
                    dir.path("x.png"));
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* name : {"x_000.png", "x_001.png", "x_002.png"}) {
    cv::Mat m = cv::imread(dir.path(name), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(m.empty()) << name;
    EXPECT_EQ(m.rows, 84) << name;
    EXPECT_EQ(m.cols, 84) << name;
    // nearest neighbour: each 3x3 block is one pixel
    EXPECT_EQ(m.at<unsigned char>(30, 30), m.at<unsigned char>(32, 32)) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path("x_003.png")));
  EXPECT_EQ(cli::run("sample " + kOracle + " -q --num 4 --scale 0 --out " + dir.path("y.png")).status, 2);
  EXPECT_EQ(cli::run("sample " + kOracle + " -q --num 4 --grid maybe --out " + dir.path("y.png")).status, 2);
}

TEST(Pictures, ARunsMetricsArePlottedAndSamplesDrawnDuringTraining) {
  cli::TempDir dir;
  const std::string pipe = dir.file("p.toml", cli::MoonsMlp{1, 50, 16, 60, 32, "log_every = 10\nsample_every = 30\nsample_num = 9\n[sampler]\nplugin = \"pc\"\n"}.text());
  ASSERT_EQ(cli::run("train " + pipe + " -q --out " + dir.path("run")).status, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path("run/samples/step_0000030.png")));
  EXPECT_TRUE(std::filesystem::exists(dir.path("run/samples/step_0000060.png")));
  auto p = cli::run("plot " + dir.path("run"));
  ASSERT_EQ(p.status, 0) << p.out;
  EXPECT_NE(p.out.find("(loss, lr)"), std::string::npos) << p.out;  // the wall clock only when asked for
  cv::Mat plot = cv::imread(dir.path("run/metrics.png"));
  EXPECT_EQ(plot.cols, 900);
  EXPECT_EQ(plot.rows, 36 + 2 * 260);
  EXPECT_EQ(cli::run("plot " + dir.path("nowhere")).status, 2);

  // a resume is an event line of the run, which the plot marks
  ASSERT_EQ(cli::run("train " + pipe + " -q --steps 80 --out " + dir.path("run")).status, 0);
  EXPECT_NE(scoregen::engine::read_file(dir.path("run/metrics.jsonl")).find("{\"step\": 60, \"event\": \"resumed\"}"),
            std::string::npos);
  // two runs in one plot, the metrics chosen and in the order given, smoothed, on a linear axis
  ASSERT_EQ(cli::run("train " + pipe + " -q --seed 9 --set train.sample_every=0 --out " + dir.path("other")).status, 0);
  auto two = cli::run("plot " + dir.path("run") + " " + dir.path("other") + " --metric elapsed_s --metric loss --smooth 0.6 "
                      "--y-scale linear --out " + dir.path("two.png"));
  ASSERT_EQ(two.status, 0) << two.out;
  EXPECT_NE(two.out.find("(elapsed_s, loss)"), std::string::npos) << two.out;
  EXPECT_EQ(cv::imread(dir.path("two.png")).rows, 36 + 2 * 260);
  // and what cannot be drawn is named
  const std::string out = " --out " + dir.path("bad.png");
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {dir.path("run") + " " + dir.path("other"), "2 runs in one plot: name it with --out PNG"},
           {dir.path("run") + " --metric fid" + out,
            "--metric fid: " + dir.path("run/metrics.jsonl") + " has no such metric (it has elapsed_s, loss, lr)"},
           {dir.path("run") + " --smooth 1" + out, "--smooth 1: the average's weight is in [0, 1)"},
           {dir.path("run") + " --y-scale semilog" + out, "--y-scale semilog: one of auto, log or linear"}}) {
    auto bad = cli::run("plot " + args);
    EXPECT_EQ(bad.status, 2) << args;
    EXPECT_NE(bad.out.find(message), std::string::npos) << bad.out;
    EXPECT_FALSE(std::filesystem::exists(dir.path("bad.png"))) << args;
  }
}
