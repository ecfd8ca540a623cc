// Network plugins: output shape, dependence on time, gradient flow, weight save/load round trip;
// the TorchScript loader against its fixture's closed form.
#include <gtest/gtest.h>

#include <torch/nn/module.h>
#include <torch/optim/adam.h>

#include "engine/io/checkpoint.hpp"
#include "scoregen/dataset.hpp"
#include "scoregen/error.hpp"
#include "scoregen_build_config.hpp"
#include "support.hpp"

namespace {

struct Case {
  const char* name;
  const char* sde;
  const char* data;     // [data] body
  const char* network;  // [network] body
};

std::shared_ptr<scoregen::Network> build(const Case& c, scoregen::engine::Pipeline& p) {
  scoregen::BuildContext ctx;
  ctx.sde = p.create_as<scoregen::Sde>("sde", {});
  auto data = p.create_as<scoregen::Dataset>("data", {});
  ctx.data_shape = data->shape();
  ctx.num_classes = data->num_classes();
  return p.create_as<scoregen::Network>("network", ctx);
}

std::string text(const Case& c) {
  return std::string("[sde]\n") + c.sde + "\n[data]\n" + c.data + "\n[network]\n" + c.network + "\n";
}

class NetworkContract : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(NetworkContract, ShapeTimeGradientsAndRoundTrip) {
  const Case& c = GetParam();
  auto p = test::pipeline(text(c));
  at::manual_seed(0);
  auto net = build(c, p);
  auto data = p.create_as<scoregen::Dataset>("data", {});
  scoregen::BatchRandom rng(1, 0, 0, 8);
  scoregen::Batch b = data->sample(rng);
  at::Tensor t = at::linspace(0.05, 0.95, 8);
  // Four Adam steps on a regression target: zero-initialised output convs (DDPM init) pass gradients on
  // one layer of zeros per step, so after three steps every parameter must receive one.
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-2));
  net->train();
  for (int step = 0; step < 4; ++step) {
    opt.zero_grad();
    at::Tensor out = net->forward(b.x, t, b.y);
    ASSERT_EQ(out.sizes(), b.x.sizes()) << c.name;
    (out - b.x).pow(2).mean().backward();
    if (step == 3) {
      for (const auto& kv : net->named_parameters()) {
        ASSERT_TRUE(kv.value().grad().defined()) << c.name << " " << kv.key();
        EXPECT_TRUE(at::isfinite(kv.value().grad()).all().item<bool>()) << c.name << " " << kv.key();
        EXPECT_GT(kv.value().grad().abs().sum().item<double>(), 0.0) << c.name << ": no gradient reaches " << kv.key();
      }
    }
    opt.step();
  }
  net->eval();
  torch::NoGradGuard guard;
  at::Tensor xs = at::cat({b.x.narrow(0, 0, 1), b.x.narrow(0, 0, 1)}, 0);
  at::Tensor two_t = at::tensor({0.1f, 0.9f});
  at::Tensor y2 = b.y.defined() ? b.y.narrow(0, 0, 1).repeat({2}) : at::Tensor();
  at::Tensor o = net->forward(xs, two_t, y2);
  EXPECT_GT((o[0] - o[1]).abs().max().item<double>(), 1e-6) << c.name << ": output does not depend on t";
  // Save and load into a differently initialised copy: identical outputs.
  std::string file = std::string(SCOREGEN_BUILD_DIR) + "/network-roundtrip-" + c.name + ".pt";
  scoregen::engine::CheckpointState st;
  st.pipeline = text(c);
  scoregen::engine::save_checkpoint(file, st, *net, nullptr);
  at::manual_seed(123);
  auto copy = build(c, p);
  copy->eval();
  scoregen::engine::load_checkpoint(file, copy.get(), nullptr);
  EXPECT_TRUE(at::equal(copy->forward(b.x, t, b.y), net->forward(b.x, t, b.y))) << c.name;
  std::remove(file.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Networks, NetworkContract,
    ::testing::Values(
        Case{"mlp", "plugin = \"vp\"", "plugin = \"moons\"", "plugin = \"mlp\"\nwidth = 32"},
        Case{"mlp_fourier_conditional", "plugin = \"ve\"", "plugin = \"moons\"",
             "plugin = \"mlp\"\nwidth = 32\nconditional = true\npredicts = \"score\"\nscale_by_sigma = true"},
        Case{"unet", "plugin = \"vp\"", "plugin = \"idx\"\nsplit = \"t10k\"\nlimit = 16",
             "plugin = \"unet\"\nch = 8\nconditional = true"},
        Case{"ncsn", "plugin = \"smld\"", "plugin = \"idx\"\nsplit = \"t10k\"\nlimit = 16", "plugin = \"ncsn\"\nngf = 8"},
        Case{"ncsnv2", "plugin = \"ve\"", "plugin = \"idx\"\nsplit = \"t10k\"\nlimit = 16",
             "plugin = \"ncsn\"\nngf = 8\nconditional = false"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(Network, TorchScriptFixtureGivesItsClosedForm) {
  std::string file = std::string(SCOREGEN_SOURCE_DIR) + "/tests/fixtures/gaussian_score.pt";
  auto p = test::pipeline("[sde]\nplugin = \"ve\"\n[network]\nplugin = \"torchscript\"\nfile = \"" + file +
                          "\"\ntime_input = \"sigma\"\n");
  scoregen::BuildContext ctx;
  ctx.sde = p.create_as<scoregen::Sde>("sde", {});
  auto net = p.create_as<scoregen::Network>("network", ctx);
  EXPECT_FALSE(net->trainable());
  at::Tensor x = at::randn({5, 3});
  at::Tensor t = at::linspace(0.0, 1.0, 5);
  at::Tensor sigma = ctx.sde->marginal_std(t);
  // score = -x / (data_std^2 + sigma^2), data_std = 2
  at::Tensor expected = -x / (4.0 + sigma * sigma).unsqueeze(1);
  EXPECT_TRUE(at::allclose(net->forward(x, t, at::Tensor()), expected, 1e-5, 1e-6));
  auto bad = test::pipeline("[sde]\nplugin = \"ve\"\n[network]\nplugin = \"torchscript\"\nfile = \"" +
                            std::string(SCOREGEN_SOURCE_DIR) + "/README.md\"\n");
  EXPECT_THROW(bad.create_as<scoregen::Network>("network", ctx), scoregen::Error);
}

TEST(Network, NcsnConditionalNeedsTheLadder) {
  auto p = test::pipeline("[sde]\nplugin = \"vp\"\n[data]\nplugin = \"idx\"\nsplit = \"t10k\"\nlimit = 4\n[network]\nplugin = \"ncsn\"\n");
  EXPECT_THROW(build(Case{}, p), scoregen::Error);
}

TEST(Network, ACheckpointOfAnotherLayoutIsRefusedByName) {
  // torch's Module::load would replace a parameter by a stored tensor of another shape, and ignore stored layers
  // the module lacks; the checkpoint loader names the first difference instead. A U-Net one level deeper (ch_mult
  // 1-2-2 against 1-2), one with wider channels, and the same layout (which loads).
  auto unet = [](const std::string& network) {
    Case c{"unet", "plugin = \"vp\"", "plugin = \"idx\"\nsplit = \"t10k\"\nlimit = 4", ""};
    auto p = test::pipeline(std::string("[sde]\n") + c.sde + "\n[data]\n" + c.data + "\n[network]\nplugin = \"unet\"\n" +
                            network + "\n");
    return build(c, p);
  };
  const std::string file = std::string(SCOREGEN_BUILD_DIR) + "/network-layout.pt";
  scoregen::engine::CheckpointState st;
  st.pipeline = "(a test)";
  scoregen::engine::save_checkpoint(file, st, *unet("ch = 8\nch_mult = [1, 2, 2]\nattn_resolutions = [14]"), nullptr);
  auto expect_refused = [&](const std::string& network, const std::string& says) {
    auto net = unet(network);
    try {
      scoregen::engine::load_checkpoint(file, net.get(), nullptr);
      ADD_FAILURE() << network << ": loaded";
    } catch (const scoregen::Error& e) {
      EXPECT_NE(std::string(e.what()).find("does not fit this pipeline's network"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  expect_refused("ch = 8\nch_mult = [1, 2]\nattn_resolutions = [14]", "which this network lacks");
  expect_refused("ch = 16\nch_mult = [1, 2, 2]\nattn_resolutions = [14]", "in the checkpoint and [");
  auto same = unet("ch = 8\nch_mult = [1, 2, 2]\nattn_resolutions = [14]");
  EXPECT_NO_THROW(scoregen::engine::load_checkpoint(file, same.get(), nullptr));
  // a negative entry counts levels from the lowest of 28 -> 14 -> 7: -2 is 14, the same network
  EXPECT_NO_THROW(scoregen::engine::load_checkpoint(file, unet("ch = 8\nch_mult = [1, 2, 2]\nattn_resolutions = [-2]").get(), nullptr));
  // and the default, -1, is 7: attention where the checkpoint has none
  expect_refused("ch = 8\nch_mult = [1, 2, 2]", "the checkpoint lacks parameter");
  try {
    unet("ch = 8\nch_mult = [1, 2, 2]\nattn_resolutions = [-4]");
    ADD_FAILURE() << "-4 of 3 levels built";
  } catch (const scoregen::Error& e) {
    EXPECT_NE(std::string(e.what()).find("-4 counts 4 levels from the lowest; this U-Net has 3 (resolutions 28, 14, 7)"),
              std::string::npos) << e.what();
  }
  std::remove(file.c_str());
}
