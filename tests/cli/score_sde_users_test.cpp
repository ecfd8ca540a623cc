// What a score_sde_pytorch user checks after `scoregen import score-sde`, in their own terms (tests/fixtures/score_sde,
// made with score_sde_pytorch's own code): `scoregen score` gives get_score_fn's score and the network's own output
// per t; `nll` prints score_sde's bits/dim convention by default and, at score_sde's probe, its likelihood_fn's
// number; score_sde's config keys work as --config-set; and an interrupt stops exact-divergence work at once.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"

namespace {

std::string fixture_dir(const std::string& name) { return cli::source("tests/fixtures/score_sde/" + name); }

// The fixture's checkpoint imported with its own config.toml.
std::string imported(const cli::TempDir& dir, const std::string& name) {
  const std::string model = dir.path(name + ".pt");
  auto r = cli::run("import score-sde " + fixture_dir(name) + "/checkpoint.pth --config " + fixture_dir(name) +
                    "/config.toml --out " + model);
  EXPECT_EQ(r.status, 0) << r.out;
  return model;
}

// max |a - b| / max(1, max |b|)
double relative_error(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1.0, b.abs().max().item<double>());
}

// The fixture's four times, comma-separated, as written to t.npy.
std::string times_of(const std::string& name) {
  at::Tensor t = scoregen::engine::load_npy(fixture_dir(name) + "/t.npy").to(at::kDouble);
  std::string out;
  for (std::int64_t i = 0; i < t.size(0); ++i) out += (i ? "," : "") + fmt::format("{:.9g}", t[i].item<double>());
  return out;
}

// The column "bits_per_dim" of nll's per-example CSV.
at::Tensor csv_bits_per_dim(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<double> v;
  while (std::getline(in, line)) v.push_back(std::stod(line.substr(line.rfind(',') + 1)));
  return at::tensor(v, at::kDouble);
}

}  // namespace

class ScoreSdeScore : public ::testing::TestWithParam<const char*> {};

// score_sde's get_score_fn(x_i, t_i) is the diagonal of scoregen's [T, N] grid: every example at every time.
TEST_P(ScoreSdeScore, ScoreAndRawOutputAreScoreSdesPerTime) {
  const std::string name = GetParam();
  cli::TempDir dir;
  const std::string model = imported(dir, name);
  const std::string x = fixture_dir(name) + "/x.npy", t = times_of(name);
  auto score = cli::run("score --checkpoint " + model + " --data " + x + " -t " + t + " --out " + dir.path("s.npy") + " --json");
  ASSERT_EQ(score.status, 0) << score.out;
  auto raw = cli::run("score --checkpoint " + model + " --data " + x + " -t " + t + " --raw --out " + dir.path("o.npy"));
  ASSERT_EQ(raw.status, 0) << raw.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path("s.npy.toml")));  // its record, as every output's
  at::Tensor s = scoregen::engine::load_npy(dir.path("s.npy")), o = scoregen::engine::load_npy(dir.path("o.npy"));
  at::Tensor want_s = scoregen::engine::load_npy(fixture_dir(name) + "/score.npy").to(at::kFloat);
  at::Tensor want_o = scoregen::engine::load_npy(fixture_dir(name) + "/output.npy").to(at::kFloat);
  const std::int64_t n = want_s.size(0);
  ASSERT_EQ(s.size(0), n);
  ASSERT_EQ(s.size(1), n);
  for (std::int64_t i = 0; i < n; ++i) {
    // the network's output agrees as its forward pass does (tests/unit/score_sde_network_test.cpp); the score more
    // loosely, since score_sde computes the kernel's std in float32 (docs/score_sde_networks.md, "Tolerances")
    EXPECT_LE(relative_error(o[i][i], want_o[i]), 1e-5) << name << " t = " << i;
    EXPECT_LE(relative_error(s[i][i], want_s[i]), 1e-3) << name << " t = " << i;
  }
  // a time that changes nothing would make the grid's rows equal
  EXPECT_GT((s[0] - s[n - 1]).abs().max().item<double>(), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(ScoreSdeScore, ScoreSdeScore,
                         ::testing::Values("ve_ncsnpp_continuous", "ve_ncsnpp_discrete", "vp_ddpmpp_continuous",
                                           "vp_ddpmpp_discrete", "subvp_ncsnpp_continuous"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

TEST(ScoreSdeScore, MistakesAreOneLineErrors) {
  cli::TempDir dir;
  const std::string model = imported(dir, "vp_ddpmpp_continuous"), x = fixture_dir("vp_ddpmpp_continuous") + "/x.npy";
  cli::expect_user_error(cli::run("score --checkpoint " + model + " --data " + x + " --out " + dir.path("a.npy")),
                         "-t/--times is required");
  cli::expect_user_error(cli::run("score --checkpoint " + model + " --data " + x + " -t 0.5,x --out " + dir.path("a.npy")),
                         "'x' is not a number");
  cli::expect_user_error(cli::run("score --checkpoint " + model + " --data " + x + " -t 0,0.5 --out " + dir.path("a.npy")),
                         "-t 0: the times lie in (0, T]");
  cli::expect_user_error(cli::run("score --checkpoint " + model + " --data " + x + " -t 0.5 --out " + dir.path("a.png")),
                         "name it .npy or .pt");
  EXPECT_FALSE(std::filesystem::exists(dir.path("a.npy")));
}

// score_sde reports bits/dim of 8-bit data, dequantized, offset by 7 - inverse_scaler(-1); an imported model's nll
// says and does the same without options, and at score_sde's own probe and dequantized data gives its number.
TEST(ScoreSdeLikelihood, ImportedModelsPrintScoreSdesBitsPerDim) {
  cli::TempDir dir;
  for (const char* name : {"vp_ddpmpp_continuous", "ve_ncsnpp_continuous"}) {
    const std::string model = imported(dir, name), f = fixture_dir(name);
    const bool centered = std::string(name).rfind("vp", 0) == 0;
    // a loose tolerance here: the fixtures' random weights make the ODE stiff (3000 evaluations at 1e-5 for VP)
    auto by_default = cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_data.npy --rtol 1e-3 --atol 1e-3");
    ASSERT_EQ(by_default.status, 0) << by_default.out;
    EXPECT_NE(by_default.out.find(fmt::format("convention: 8-bit data uniformly dequantized ((x 255 + U) / 256, 1 draw(s) "
                                              "per example), scaled to {}: bits/dim = -log p / (D ln 2) + {}",
                                              centered ? "[-1, 1]" : "[0, 1]", centered ? 7 : 8)),
              std::string::npos) << by_default.out;
    EXPECT_NE(by_default.out.find("RK45 rtol 0.001 atol 0.001"), std::string::npos) << by_default.out;
  }
  // score_sde's likelihood_fn at its default tolerance, on its dequantized data with its probe (VE: 1500 evaluations)
  const std::string model = dir.path("ve_ncsnpp_continuous.pt"), f = fixture_dir("ve_ncsnpp_continuous");
  const std::string csv = dir.path("ve.csv");
  auto same_probe = cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_dequantized.npy --data-values "
                             "8-bit-dequantized --probes " + f + "/nll_probe.npy --out " + csv + " --json");
  ASSERT_EQ(same_probe.status, 0) << same_probe.out;
  EXPECT_NE(same_probe.out.find("8-bit data dequantized already ((k + U) / 256, as score_sde's likelihood takes them), "
                                "scaled to [0, 1]: bits/dim = -log p / (D ln 2) + 8"),
            std::string::npos) << same_probe.out;
  EXPECT_EQ(cli::json_number(same_probe.out, "rtol"), 1e-5);  // one default for every ODE command: score_sde's
  EXPECT_EQ(cli::json_number(same_probe.out, "atol"), 1e-5);
  at::Tensor ours = csv_bits_per_dim(csv), theirs = scoregen::engine::load_npy(f + "/nll_bpd.npy").to(at::kDouble);
  ASSERT_EQ(ours.sizes(), theirs.sizes());
  // two RK45 solves at rtol = atol = 1e-5 (scipy's and scoregen's) of the same ODE with the same probe: measured
  // 8e-4 at most (and 1.4e-3 on the VP fixture), where another probe moves an example by up to 0.5
  EXPECT_LE((ours - theirs).abs().max().item<double>(), 2e-3) << "ours " << ours << "\ntheirs " << theirs;
}

TEST(ScoreSdeLikelihood, DataThatAreNotWhatTheySayAreRefused) {
  cli::TempDir dir;
  const std::string model = imported(dir, "vp_ddpmpp_continuous"), f = fixture_dir("vp_ddpmpp_continuous");
  // values the imported pipeline's "8-bit" does not describe: perturbed inputs outside [-1, 1], dequantized ones
  cli::expect_user_error(cli::run("nll --checkpoint " + model + " -q --data " + f + "/x.npy"),
                         "values from -3.026 to 3.791 lie outside the model's range [-1, 1]");
  cli::expect_user_error(cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_dequantized.npy"),
                         "values are not 8-bit levels k / 255 of [-1, 1]");
  auto continuous = cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_dequantized.npy --data-values "
                             "continuous --rtol 1e-2 --atol 1e-2");
  ASSERT_EQ(continuous.status, 0) << continuous.out;
  EXPECT_NE(continuous.out.find("continuous data: bits/dim = -log p / (D ln 2), no offset"), std::string::npos) << continuous.out;
  cli::expect_user_error(cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_data.npy --divergence exact "
                                  "--probes " + f + "/nll_probe.npy"),
                         "the exact divergence takes no probes");
  cli::expect_user_error(cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_data.npy --probes " + f +
                                  "/labels.npy"),
                         "is not [N, 3, 16, 16] or [K, N, 3, 16, 16]");
  cli::expect_user_error(cli::run("nll --checkpoint " + model + " -q --data " + f + "/nll_dequantized.npy --data-values "
                                  "8-bit-dequantized --set nll.dequantize=2"),
                         "the examples are dequantized already");
}

// score_sde's own keys change the config before it is translated: the published config shrunk to the fixture's
// network imports the fixture's checkpoint and computes its output.
TEST(ScoreSdeConfigSet, PublishedConfigWithScoreSdesKeys) {
  cli::TempDir dir;
  const std::string name = "vp_ddpmpp_continuous", f = fixture_dir(name);
  const std::string sets = " --config-set data.image_size=16 --config-set model.nf=8 --config-set 'model.ch_mult=(1, 2)' "
                           "--config-set model.num_res_blocks=1 --config-set 'model.attn_resolutions=(8,)'";
  auto r = cli::run("import score-sde " + f + "/checkpoint.pth --config vp/cifar10_ddpmpp_continuous" + sets + " --out " +
                    dir.path("m.pt"));
  ASSERT_EQ(r.status, 0) << r.out;
  auto raw = cli::run("score --checkpoint " + dir.path("m.pt") + " --data " + f + "/x.npy -t " + times_of(name) +
                      " --raw --out " + dir.path("o.npy"));
  ASSERT_EQ(raw.status, 0) << raw.out;
  at::Tensor o = scoregen::engine::load_npy(dir.path("o.npy"));
  at::Tensor want = scoregen::engine::load_npy(f + "/output.npy").to(at::kFloat);
  for (std::int64_t i = 0; i < want.size(0); ++i) EXPECT_LE(relative_error(o[i][i], want[i]), 1e-5) << i;

  const std::string base = "import score-sde " + f + "/checkpoint.pth --config vp/cifar10_ddpmpp_continuous --out " +
                           dir.path("bad.pt");
  cli::expect_user_error(cli::run(base + " --config-set model.nf_typo=8"),
                         "score_sde_pytorch's configs have no key model.nf_typo");
  cli::expect_user_error(cli::run(base + " --config-set training.batch_size=64"),
                         "sets its training, sampling or evaluation loop and does not change the imported model");
  cli::expect_user_error(cli::run(base + " --config-set model.nf=eight"), "score_sde's model.nf is 128 (a whole number)");
  cli::expect_user_error(cli::run(base + " --set model.nf=8"), "give score_sde's keys as --config-set model.nf=8");
  EXPECT_FALSE(std::filesystem::exists(dir.path("bad.pt")));
}

// Ctrl-C during the exact divergence (D backward passes per evaluation) stops within a backward pass, not at the end
// of the evaluation: the run is interrupted well before one evaluation's time, which it said up front.
TEST(Interrupts, ExactDivergenceStopsWithinABackwardPass) {
  cli::TempDir dir;
  const std::string x = dir.path("x.npy");
  scoregen::engine::save_npy(at::rand({1, 1, 28, 28}) * 2 - 1, x);
  const std::string log = dir.path("nll.log");
  // start; once the cost line is out the solve has begun: wait half a second into it, then SIGINT, and time the exit
  const std::string cmd =
      "(" + cli::binary() + " nll --checkpoint " + cli::source("share/models/fashion_mnist_vp.pt") + " -q --data " + x +
      " --data-values continuous --divergence exact > " + log + " 2>&1 & pid=$!; while kill -0 $pid 2>/dev/null && ! grep -q "
      "'backward passes per ODE evaluation' " + log + "; do sleep 0.05; done; sleep 0.5; start=$(date +%s.%N); kill -INT "
      "$pid; wait $pid; status=$?; end=$(date +%s.%N); echo \"status: $status\"; echo \"elapsed: $(echo \"$end - $start\" "
      "| bc -l)\"; cat " + log + ")";
  auto r = cli::shell(cmd);
  ASSERT_NE(r.out.find("status: 130"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scoregen: stopped by SIGINT"), std::string::npos) << r.out;
  const auto took = r.out.find("one evaluation of one example took ");
  ASSERT_NE(took, std::string::npos) << r.out;
  const double evaluation = std::stod(r.out.substr(took + std::strlen("one evaluation of one example took ")));
  const double elapsed = std::stod(r.out.substr(r.out.find("elapsed: ") + 9));
  EXPECT_NE(r.out.find("784 backward passes per ODE evaluation"), std::string::npos) << r.out;
  // meaningful only when an evaluation is long: then the old check (once per evaluation) would wait most of it out
  ASSERT_GT(evaluation, 1.5) << r.out;
  // measured: 0.34 s from the signal to the exit, of which one backward pass (16 ms) is the loop's; the rest is the
  // process's teardown, which a loaded machine stretches
  EXPECT_LT(elapsed, std::min(2.0, evaluation / 2)) << r.out;
}
