// The NCSN paper's two pitfalls, reproduced by the pipelines and commands the README shows (Song & Ermon 2019,
// Sec. 3.2): Langevin dynamics gets the weights of separated modes wrong where annealed Langevin dynamics gets
// them right, and a learned score is accurate where the data are dense and poor where they are sparse.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.hpp"

namespace {

// The numbers of a JSON array field ("key": [a, b, ...]) in a one-line summary.
std::vector<double> numbers(const std::string& json, const std::string& key) {
  std::vector<double> out;
  auto at = json.find("\"" + key + "\": [");
  if (at == std::string::npos) return out;
  at = json.find('[', at) + 1;
  while (json[at] != ']') {
    std::size_t used = 0;
    out.push_back(std::stod(json.substr(at), &used));
    at += used;
    if (json[at] == ',') at += 2;
  }
  return out;
}

double number(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\": ");
  return at == std::string::npos ? -1.0 : std::stod(json.substr(at + key.size() + 4));
}

}  // namespace

TEST(PaperFigures, LangevinGetsTheModeWeightsWrongAndAnnealingGetsThemRight) {
  const std::string pipe = cli::source("pipelines/ncsn_mode_weights.toml");
  auto annealed = cli::stdout_of("eval " + pipe + " -q --json");
  auto plain = cli::stdout_of("eval " + pipe + " -q --json --sampler langevin --set sampler.step_size=0.1 --steps 1000");
  ASSERT_EQ(annealed.status, 0) << annealed.out;
  ASSERT_EQ(plain.status, 0) << plain.out;
  const auto wa = numbers(annealed.out, "mode_weights"), wp = numbers(plain.out, "mode_weights");
  ASSERT_EQ(wa.size(), 2u) << annealed.out;
  ASSERT_EQ(wp.size(), 2u) << plain.out;
  // the exact weights are 0.2 and 0.8; 1280 samples give a standard error of about 0.011
  EXPECT_NEAR(wa[0], 0.2, 0.04) << annealed.out;
  EXPECT_NEAR(wa[1], 0.8, 0.04) << annealed.out;
  EXPECT_NEAR(wp[0], 0.5, 0.06) << "Langevin from a uniform start keeps the basins' split\n" << plain.out;
  EXPECT_GT(number(plain.out, "sliced_wasserstein"), 5 * number(annealed.out, "sliced_wasserstein")) << plain.out;
}

TEST(PaperFigures, ALearnedScoreIsPoorWhereTheDataAreSparse) {
  cli::TempDir dir;
  const std::string pipe = cli::source("pipelines/ncsn_low_density.toml");
  ASSERT_EQ(cli::run("train " + pipe + " -q --set train.steps=1500 --out " + dir.path("run")).status, 0);
  auto map = cli::stdout_of("score-map " + pipe + " -q --json --checkpoint " + dir.path("run/checkpoint.pt") +
                            " --out " + dir.path("map.png"));
  ASSERT_EQ(map.status, 0) << map.out;
  const double dense = number(map.out, "error_dense"), sparse = number(map.out, "error_sparse");
  EXPECT_GT(dense, 0) << map.out;
  EXPECT_LT(dense, 0.5 * number(map.out, "exact_score_size_dense")) << "accurate near the modes\n" << map.out;
  EXPECT_GT(sparse, 4 * dense) << "poor between them\n" << map.out;
  // the heat map's colour bar, right of it: viridis from its brightest (top) to its darkest (bottom)
  cv::Mat picture = cv::imread(dir.path("map.png"));
  ASSERT_EQ(picture.cols, 70 + 2 * 500 + 110 + 110);
  const cv::Vec3b bright = picture.at<cv::Vec3b>(76 + 3, 70 + 1000 + 110 + 16 + 9);
  const cv::Vec3b dark = picture.at<cv::Vec3b>(76 + 496, 70 + 1000 + 110 + 16 + 9);
  EXPECT_GT(bright[2], 200) << "viridis' top is yellow (BGR " << bright << ")";
  EXPECT_GT(bright[1], 200);
  EXPECT_LT(dark[1], 40) << "viridis' bottom is dark purple (BGR " << dark << ")";
  EXPECT_GT(dark[0], 60);
  // the exact score against itself: no error anywhere
  auto exact = cli::stdout_of("score-map " + cli::source("pipelines/ncsn_mode_weights.toml") + " -q --json --out " +
                              dir.path("exact.png"));
  ASSERT_EQ(exact.status, 0) << exact.out;
  EXPECT_LT(number(exact.out, "error_dense"), 1e-4) << exact.out;  // float32 against float64
  EXPECT_LT(number(exact.out, "error_sparse"), 1e-4) << exact.out;
  // data that do not know their density are refused
  auto rings = cli::run("score-map " + cli::source("pipelines/toy_sliced.toml") + " -q --out " + dir.path("r.png"));
  EXPECT_EQ(rings.status, 2) << rings.out;
}
