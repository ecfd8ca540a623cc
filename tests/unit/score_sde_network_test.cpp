// The ncsnpp / ddpmpp networks against score_sde_pytorch's own outputs: each fixture's checkpoint converted and
// loaded by name, the forward pass on its inputs compared with output.npy (docs/score_sde_networks.md, fixtures).
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>

#include "engine/io/array_io.hpp"
#include "engine/io/score_sde_import.hpp"
#include "scoregen/error.hpp"
#include "scoregen_build_config.hpp"
#include "support.hpp"

namespace {

const std::string kFixtures = std::string(SCOREGEN_SOURCE_DIR) + "/tests/fixtures/score_sde/";

std::string toml_list(const toml::array* a) {
  std::vector<std::string> items;
  if (a)
    for (const auto& e : *a) items.push_back(fmt::format("{}", e.value<std::int64_t>().value_or(0)));
  return "[" + fmt::format("{}", fmt::join(items, ", ")) + "]";
}

std::string toml_bool(const toml::node_view<const toml::node>& v) { return v.value<bool>().value_or(false) ? "true" : "false"; }

// score_sde's config.toml ([training], [data], [model]) as a scoregen [sde] and [network] table, and the data shape.
struct Built {
  std::shared_ptr<scoregen::Network> network;
  std::shared_ptr<scoregen::Sde> sde;
};

Built build_from_config(const std::string& dir) {
  const toml::table cfg = toml::parse_file(dir + "/config.toml");
  const auto model = cfg["model"], data = cfg["data"], training = cfg["training"];
  const std::string sde_name = training["sde"].value<std::string>().value_or("");
  std::string text = "[sde]\n";
  auto real = [&](const char* key) { return fmt::format("{:.17g}", model[key].value<double>().value_or(0.0)); };
  if (sde_name == "vesde")
    text += fmt::format("plugin = \"ve\"\nsigma_min = {}\nsigma_max = {}\n", real("sigma_min"), real("sigma_max"));
  else
    text += fmt::format("plugin = \"{}\"\nbeta_min = {}\nbeta_max = {}\n", sde_name == "vpsde" ? "vp" : "subvp",
                        real("beta_min"), real("beta_max"));
  text += fmt::format("N = {}\n", model["num_scales"].value<std::int64_t>().value_or(0));
  const bool ddpmpp = !model["fir"].value<bool>().value_or(true);
  text += fmt::format("[network]\nplugin = \"{}\"\n", ddpmpp ? "ddpmpp" : "ncsnpp");
  text += fmt::format("nf = {}\n", model["nf"].value<std::int64_t>().value_or(0));
  text += fmt::format("num_res_blocks = {}\n", model["num_res_blocks"].value<std::int64_t>().value_or(0));
  text += "ch_mult = " + toml_list(model["ch_mult"].as_array()) + "\n";
  text += "attn_resolutions = " + toml_list(model["attn_resolutions"].as_array()) + "\n";
  text += "fir_kernel = " + toml_list(model["fir_kernel"].as_array()) + "\n";
  text += "dropout = " + real("dropout") + "\nfourier_scale = " + real("fourier_scale") + "\ninit_scale = " +
          real("init_scale") + "\n";
  for (const char* key : {"fir", "skip_rescale", "scale_by_sigma"})
    text += fmt::format("{} = {}\n", key, toml_bool(model[key]));
  for (const char* key : {"resblock_type", "progressive", "progressive_input", "progressive_combine", "embedding_type"})
    text += fmt::format("{} = \"{}\"\n", key, model[key].value<std::string>().value_or(""));
  text += "centered = " + toml_bool(data["centered"]) + "\n";
  text += "continuous = " + toml_bool(training["continuous"]) + "\n";

  auto p = test::pipeline(text);
  scoregen::BuildContext ctx;
  ctx.sde = p.create_as<scoregen::Sde>("sde", {});
  const std::int64_t size = data["image_size"].value<std::int64_t>().value_or(0);
  ctx.data_shape = {data["num_channels"].value<std::int64_t>().value_or(0), size, size};
  return {p.create_as<scoregen::Network>("network", ctx), ctx.sde};
}

std::int64_t count(const std::vector<at::Tensor>& tensors) {
  std::int64_t n = 0;
  for (const auto& t : tensors) n += t.numel();
  return n;
}

class ScoreSdeFixture : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST_P(ScoreSdeFixture, MatchesScoreSdePytorch) {
  const std::string dir = kFixtures + GetParam();
  Built b = build_from_config(dir);
  auto tensors = scoregen::engine::convert_score_sde_checkpoint(dir + "/checkpoint.pth", true);

  // Same names, same sizes: every checkpoint entry but an unused `sigmas` is one of the network's tensors.
  std::int64_t checkpoint_count = 0, checkpoint_entries = 0;
  for (const auto& [name, value] : tensors.tensors)
    if (name != "sigmas" || b.network->named_buffers().contains("sigmas")) checkpoint_count += value.numel(), ++checkpoint_entries;
  const std::int64_t network_count = count(b.network->parameters()) + count(b.network->buffers());
  const auto network_entries = static_cast<std::int64_t>(b.network->parameters().size() + b.network->buffers().size());
  EXPECT_EQ(network_count, checkpoint_count);
  EXPECT_EQ(network_entries, checkpoint_entries);
  scoregen::engine::load_score_sde_tensors(tensors, *b.network, dir + "/checkpoint.pth");
  b.network->eval();

  at::Tensor x = scoregen::engine::load_npy(dir + "/x.npy").to(at::kFloat);
  at::Tensor t = scoregen::engine::load_npy(dir + "/t.npy").to(at::kFloat);
  at::Tensor expected = scoregen::engine::load_npy(dir + "/output.npy").to(at::kFloat);
  at::Tensor out;
  {
    torch::NoGradGuard no_grad;
    out = b.network->forward(x, t, at::Tensor());
  }
  ASSERT_EQ(out.sizes(), expected.sizes());
  ASSERT_EQ(out.scalar_type(), at::kFloat);
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  const double err = (out - expected).abs().max().item<double>() / scale;
  std::printf("[ %s ] parameters and buffers %lld (%lld tensors), max |ours - score_sde| / max(1, max |out|) = %.3g\n",
              GetParam(), static_cast<long long>(network_count), static_cast<long long>(network_entries), err);
  EXPECT_LE(err, 1e-5) << GetParam();
  // The time input is checked through the output: scaling any tensor, or shifting the labels, changes it
  // (labels.npy is what score_sde fed its network).
}

INSTANTIATE_TEST_SUITE_P(ScoreSdeNetwork, ScoreSdeFixture,
                         ::testing::Values("ve_ncsnpp_continuous", "ve_ncsnpp_skip_continuous", "ve_ncsnpp_discrete",
                                           "vp_ddpmpp_continuous", "vp_ddpmpp_discrete", "subvp_ncsnpp_continuous"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

TEST(ScoreSdeNetwork, DefaultsBuildOnCifarShapesAndBadOptionsAreRefused) {
  auto build = [](const std::string& sde, const std::string& network) {
    auto p = test::pipeline("[sde]\n" + sde + "\n[network]\n" + network + "\n");
    scoregen::BuildContext ctx;
    ctx.sde = p.create_as<scoregen::Sde>("sde", {});
    ctx.data_shape = {3, 32, 32};
    return p.create_as<scoregen::Network>("network", ctx);
  };
  // Full-size defaults: the parameter counts of ve/cifar10_ncsnpp_continuous and vp/cifar10_ddpmpp_continuous
  // (docs/score_sde_networks.md; the Fourier W counted there as a parameter is a buffer here).
  auto ncsnpp = build("plugin = \"ve\"", "plugin = \"ncsnpp\"");
  EXPECT_EQ(count(ncsnpp->parameters()) + count(ncsnpp->buffers()), 62758915);
  EXPECT_EQ(ncsnpp->predicts(), scoregen::Prediction::Score);
  auto ddpmpp = build("plugin = \"vp\"", "plugin = \"ddpmpp\"");
  EXPECT_EQ(count(ddpmpp->parameters()), 61804419);
  EXPECT_EQ(ddpmpp->predicts(), scoregen::Prediction::Noise);
  {
    torch::NoGradGuard no_grad;
    ddpmpp->eval();
    at::Tensor x = at::randn({2, 3, 32, 32});
    EXPECT_EQ(ddpmpp->forward(x, at::full({2}, 0.5), at::Tensor()).sizes(), x.sizes());
  }
  auto refused = [&](const std::string& sde, const std::string& network, const std::string& key) {
    try {
      build(sde, network);
      ADD_FAILURE() << network << ": built";
    } catch (const scoregen::Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  refused("plugin = \"ve\"", "plugin = \"ncsnpp\"\nattn_resolutions = [5]", "attn_resolutions");
  refused("plugin = \"ve\"", "plugin = \"ncsnpp\"\nch_mult = [1, 2, 2, 2, 2, 2, 2]", "ch_mult");
  refused("plugin = \"ve\"", "plugin = \"ncsnpp\"\nfir_kernel = [1, 2, 1]", "fir_kernel");
  refused("plugin = \"ve\"", "plugin = \"ncsnpp\"\nresblock_type = \"ddpm\"", "resblock_type");
  refused("plugin = \"ve\"", "plugin = \"ncsnpp\"\ncontinuous = false", "embedding_type");
  refused("plugin = \"vp\"", "plugin = \"ncsnpp\"", "scale_by_sigma");
  refused("plugin = \"vp\"", "plugin = \"ddpmpp\"\nclass_conditional = true", "class_conditional");
}

TEST(ScoreSdeNetwork, SmallVariantsTrainAndTakeClassLabels) {
  // The options no fixture covers (class embedding, input_skip with "cat", the conv downsampling of the residual
  // input path without FIR), on a tiny network: shape, gradients for every parameter, labels that matter.
  auto build = [](const std::string& sde, const std::string& network) {
    auto p = test::pipeline("[sde]\n" + sde + "\n[network]\n" + network +
                            "\nnf = 8\nch_mult = [1, 2]\nnum_res_blocks = 1\nattn_resolutions = [8]\ninit_scale = 1.0\n");
    scoregen::BuildContext ctx;
    ctx.sde = p.create_as<scoregen::Sde>("sde", {});
    ctx.data_shape = {2, 16, 16};
    ctx.num_classes = 3;
    return p.create_as<scoregen::Network>("network", ctx);
  };
  const std::vector<std::pair<std::string, std::string>> cases{
      {"plugin = \"ve\"", "plugin = \"ncsnpp\"\nclass_conditional = true"},
      {"plugin = \"ve\"", "plugin = \"ncsnpp\"\nprogressive = \"output_skip\"\nprogressive_input = \"input_skip\"\n"
                          "progressive_combine = \"cat\""},
      {"plugin = \"vp\"", "plugin = \"ddpmpp\"\nprogressive_input = \"residual\"\nclass_conditional = true"},
      {"plugin = \"ve\"", "plugin = \"ncsnpp\"\ncontinuous = false\nembedding_type = \"positional\"\n"
                          "progressive = \"output_skip\"\nprogressive_input = \"input_skip\"\nfir = false"},
  };
  at::manual_seed(0);
  for (const auto& [sde, network] : cases) {
    auto net = build(sde, network);
    net->train();
    at::Tensor x = at::rand({4, 2, 16, 16}), t = at::rand({4}) * 0.9 + 0.05;
    at::Tensor y = at::tensor({0, 1, 2, 1}, at::kLong);
    at::Tensor out = net->forward(x, t, y);
    ASSERT_EQ(out.sizes(), x.sizes()) << network;
    out.pow(2).mean().backward();
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << network << ": " << p.key();
      EXPECT_TRUE(p.value().grad().isfinite().all().item<bool>()) << network << ": " << p.key();
      EXPECT_GT(p.value().grad().abs().max().item<double>(), 0.0) << network << ": " << p.key();
    }
    EXPECT_FALSE(net->named_parameters().contains("all_modules.0.W")) << network;
    if (net->class_conditional()) {
      torch::NoGradGuard no_grad;
      net->eval();
      at::Tensor a = net->forward(x, t, y), b = net->forward(x, t, at::tensor({2, 2, 0, 0}, at::kLong));
      EXPECT_GT((a - b).abs().max().item<double>(), 0.0) << network;
      EXPECT_TRUE(net->named_parameters().contains("label_embedding.weight")) << network;
    }
  }
}
