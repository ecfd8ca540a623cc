// `scoregen import score-sde` on score_sde_pytorch fixture checkpoints (tests/fixtures/score_sde, made with
// score_sde_pytorch's own model code): the imported model samples, computes nll and trains further from the import.
// That the imported network computes what score_sde_pytorch's does is tests/unit/score_sde_network_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

namespace {
std::string fixture_dir(const std::string& name) { return cli::source("tests/fixtures/score_sde/" + name); }
std::string import_args(const std::string& name, const std::string& out) {
  return "import score-sde " + fixture_dir(name) + "/checkpoint.pth --config " + fixture_dir(name) + "/config.toml --out " +
         out;
}
}  // namespace

TEST(Import, ScoreSdeCheckpointSamplesComputesLikelihoodAndTrainsFurther) {
  cli::TempDir dir;
  const std::string model = dir.path("vp.pt");
  auto imported = cli::run(import_args("vp_ddpmpp_continuous", model));
  ASSERT_EQ(imported.status, 0) << imported.out;
  EXPECT_NE(imported.out.find("(score_sde_pytorch, step 4242)"), std::string::npos) << imported.out;
  EXPECT_NE(imported.out.find("[network] ncsnpp with 48275 parameters on [sde] vp"), std::string::npos) << imported.out;

  // the fast samplers and the likelihood, with no [data]: the network gives the shape
  auto sampled = cli::run("sample --checkpoint " + model + " -q --sampler dpm-solver++ --steps 10 --num 4 --out " +
                          dir.path("s.npy"));
  ASSERT_EQ(sampled.status, 0) << sampled.out;
  at::Tensor s = scoregen::engine::load_npy(dir.path("s.npy"));
  EXPECT_EQ(s.sizes(), at::IntArrayRef({4, 3, 16, 16}));
  EXPECT_TRUE(at::isfinite(s).all().item<bool>());
  // 8-bit images, as score_sde's data are (the fixture's perturbed x.npy is not; tests/cli/score_sde_users_test.cpp)
  auto nll = cli::run("nll --checkpoint " + model + " -q --data " + fixture_dir("vp_ddpmpp_continuous") +
                      "/nll_data.npy --rtol 1e-3 --atol 1e-3");
  ASSERT_EQ(nll.status, 0) << nll.out;
  EXPECT_NE(nll.out.find("bits/dim"), std::string::npos) << nll.out;

  // training continues from the import's step with the import's [sde] and [network]
  std::filesystem::create_directories(dir.path("images"));
  for (int i = 0; i < 4; ++i)
    cv::imwrite(dir.path("images/" + std::to_string(i) + ".png"), cv::Mat(16, 16, CV_8UC3, cv::Scalar(40 * i, 90, 200)));
  const std::string pipe = dir.file("train.toml", "[data]\nplugin = \"images\"\nroot = \"images\"\nsize = 16\nchannels = 3\n"
                                                  "[train]\nbatch_size = 4\n");
  auto trained = cli::run("train " + pipe + " -q --init " + model + " --steps 4244 --out " + dir.path("run"));
  ASSERT_EQ(trained.status, 0) << trained.out;
  EXPECT_NE(trained.out.find("starting from " + model + " at its step 4242"), std::string::npos) << trained.out;
  EXPECT_NE(trained.out.find("train: 2 steps"), std::string::npos) << trained.out;
  auto again = cli::run("sample --checkpoint " + dir.path("run/checkpoint.pt") + " -q --steps 10 --num 2 --out " +
                        dir.path("r.npy"));
  EXPECT_EQ(again.status, 0) << again.out;
  cli::expect_user_error(cli::run("train " + pipe + " -q --init " + model + " --steps 100 --out " + dir.path("run2")),
                         "is at step 4242; [train] steps = 100 leaves nothing to train");
}

TEST(Import, TheVarianceExplodingNcsnppSamplesIntoItsOwnRange) {
  cli::TempDir dir;
  ASSERT_EQ(cli::run(import_args("ve_ncsnpp_continuous", dir.path("ve.pt"))).status, 0);
  auto r = cli::run("sample --checkpoint " + dir.path("ve.pt") + " -q --sampler dpm-solver++ --steps 10 --num 4 --out " +
                    dir.path("ve.png"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path("ve_000.png")) || std::filesystem::exists(dir.path("ve.png")));
}

TEST(Import, MismatchesAreOneLineErrors) {
  cli::TempDir dir;
  // a config whose network is not the checkpoint's: the first tensor that does not fit is named
  cli::expect_user_error(cli::run("import score-sde " + fixture_dir("vp_ddpmpp_continuous") +
                                  "/checkpoint.pth --config vp/cifar10_ddpmpp_continuous --out " + dir.path("a.pt")),
                         "all_modules.0.weight has shape [32, 8], the network's is [512, 128]");
  cli::expect_user_error(cli::run(import_args("vp_ddpmpp_continuous", dir.path("b.pt")) + " --set network.nf=16"),
                         "has shape");
  cli::expect_user_error(cli::run("import score-sde " + fixture_dir("vp_ddpmpp_continuous") + "/checkpoint.pth --out " +
                                  dir.path("c.pt")),
                         "--config is required");
  cli::expect_user_error(cli::run("import score-sde " + fixture_dir("vp_ddpmpp_continuous") +
                                  "/checkpoint.pth --config vp/cifar100_unknown --out " + dir.path("d.pt")),
                         "not a published config this table knows");
  cli::expect_user_error(cli::run("import tf-checkpoint x.pth --config a.toml --out " + dir.path("e.pt")),
                         "unknown format 'tf-checkpoint'");
  // a model key the network implements one value of is refused, not ignored
  std::string config = scoregen::engine::read_file(fixture_dir("vp_ddpmpp_continuous") + "/config.toml");
  config.replace(config.find("\"swish\""), 7, "\"elu\"");
  cli::expect_user_error(cli::run("import score-sde " + fixture_dir("vp_ddpmpp_continuous") + "/checkpoint.pth --config " +
                                  dir.file("elu.toml", config) + " --out " + dir.path("g.pt")),
                         "[model] nonlinearity = elu: the ncsnpp network implements swish only");
  // a file that is not a score_sde_pytorch checkpoint: the converter's own line
  cli::expect_user_error(cli::run("import score-sde " + fixture_dir("vp_ddpmpp_continuous") + "/x.npy --config " +
                                  fixture_dir("vp_ddpmpp_continuous") + "/config.toml --out " + dir.path("f.pt")),
                         "x.npy:");
  for (const char* f : {"a.pt", "b.pt", "c.pt", "d.pt", "e.pt", "f.pt", "g.pt"}) EXPECT_FALSE(std::filesystem::exists(dir.path(f))) << f;
}

TEST(Import, AScoreSdeConfigFileIsReadThroughItsGetConfig) {
  // A config as score_sde_pytorch users have it: configs/vp/NAME.py importing configs/default_*_configs.py, which
  // builds ml_collections.ConfigDicts (a stand-in where ml_collections is not installed) and a torch.device.
  cli::TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.path("checkout/configs/vp"));
  dir.file("checkout/configs/__init__.py", "");
  dir.file("checkout/configs/vp/__init__.py", "");
  dir.file("checkout/configs/default_tiny_configs.py", R"(import ml_collections
import torch


def get_default_configs():
  config = ml_collections.ConfigDict()
  config.training = training = ml_collections.ConfigDict()
  training.sde = 'vpsde'
  training.continuous = True
  training.sampling_eps = 1e-3
  config.data = data = ml_collections.ConfigDict()
  data.image_size = 16
  data.num_channels = 3
  data.centered = True
  config.model = model = ml_collections.ConfigDict()
  model.sigma_min, model.sigma_max, model.num_scales = 0.01, 50., 1000
  model.beta_min, model.beta_max = 0.1, 20.
  model.dropout = 0.1
  model.embedding_type = 'fourier'
  config.device = torch.device('cpu')
  return config
)");
  // the fixture's [model], as the user's edits of the defaults
  std::ifstream in(fixture_dir("vp_ddpmpp_continuous") + "/config.toml");
  std::string line, edits;
  bool model = false;
  while (std::getline(in, line)) {
    if (line.rfind('[', 0) == 0) model = line == "[model]";
    else if (model && line.find(" = ") != std::string::npos) {
      for (const char* word : {"true", "false"})
        if (const auto at = line.find(word); at != std::string::npos && at == line.find(" = ") + 3)
          line.replace(at, std::strlen(word), std::string(word) == "true" ? "True" : "False");
      edits += "  model." + line + "\n";
    }
  }
  const std::string py = dir.file("checkout/configs/vp/tiny_ddpmpp_continuous.py",
                                  "from configs.default_tiny_configs import get_default_configs\n\n\ndef get_config():\n"
                                  "  config = get_default_configs()\n  model = config.model\n" + edits + "  return config\n");
  const std::string ckpt = fixture_dir("vp_ddpmpp_continuous") + "/checkpoint.pth";
  auto from_py = cli::run("import score-sde " + ckpt + " --config " + py + " --out " + dir.path("py.pt"));
  ASSERT_EQ(from_py.status, 0) << from_py.out;
  auto from_toml = cli::run("import score-sde " + ckpt + " --config " + fixture_dir("vp_ddpmpp_continuous") +
                            "/config.toml --out " + dir.path("toml.pt"));
  ASSERT_EQ(from_toml.status, 0) << from_toml.out;
  // the same network and SDE: the same samples from the same seed
  for (const char* name : {"py", "toml"}) {
    auto s = cli::run(std::string("sample --checkpoint ") + dir.path(std::string(name) + ".pt") +
                      " -q -n 2 --sampler dpm-solver++ --steps 2 --out " + dir.path(std::string(name) + ".npy"));
    ASSERT_EQ(s.status, 0) << s.out;
  }
  EXPECT_TRUE(at::equal(scoregen::engine::load_npy(dir.path("py.npy")), scoregen::engine::load_npy(dir.path("toml.npy"))));
  // a file outside its checkout names the import it cannot find, once
  const std::string alone = dir.file("alone.py", "from configs.default_tiny_configs import get_default_configs\n");
  auto lost = cli::run("import score-sde " + ckpt + " --config " + alone + " --out " + dir.path("x.pt"));
  cli::expect_user_error(lost, "imports configs, which is not found (give the file inside its score_sde_pytorch checkout");
  EXPECT_FALSE(fs::exists(dir.path("x.pt")));
  // the converter's own line names the checkpoint once, without the script's name
  const std::string junk = dir.file("junk.pth", "not a checkpoint");
  auto refused = cli::run("import score-sde " + junk + " --config " + py + " --out " + dir.path("x.pt"));
  cli::expect_user_error(refused, junk + ": not readable as plain tensors and containers");
  EXPECT_EQ(refused.out.find(junk), refused.out.rfind(junk)) << refused.out;
  EXPECT_EQ(refused.out.find("score_sde_to_scoregen: error"), std::string::npos) << refused.out;
}
