// The shipped CIFAR-10 pipelines are score_sde_pytorch's published configs: their [sde], [network] and [sampler] are
// what `scoregen import score-sde --config NAME` makes of the config (engine::score_sde_pipeline, which the import
// reads --config with), key for key and value for value; their [data], [objective] and [train], which the import
// leaves to a pipeline, hold configs/default_cifar10_configs.py's training settings and the config's own.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <toml++/toml.h>

#include "cli_support.hpp"
#include "engine/host/pipeline.hpp"
#include "engine/host/registry.hpp"
#include "engine/host/session.hpp"
#include "engine/io/files.hpp"
#include "engine/io/score_sde_configs.hpp"

namespace {

struct Published {
  const char* pipeline;
  const char* config;
  const char* scale;      // data.centered: symmetric [-1, 1] or unit [0, 1]
  const char* reduction;  // training.reduce_mean: mean, else half the sum
  double ema;             // model.ema_rate
};
const Published kPublished[] = {
    {"pipelines/cifar10_ddpmpp_continuous.toml", "vp/cifar10_ddpmpp_continuous", "symmetric", "mean", 0.9999},
    {"pipelines/cifar10_ncsnpp_continuous.toml", "ve/cifar10_ncsnpp_continuous", "unit", "half-sum", 0.999},
};

std::set<std::string> keys_of(const toml::table& t) {
  std::set<std::string> keys;
  for (const auto& [key, node] : t) keys.insert(std::string(key.str()));
  return keys;
}

}  // namespace

TEST(Cifar10Pipelines, SharedTablesAreTheImportedPublishedConfigsKeyForKey) {
  using scoregen::engine::Pipeline;
  const auto& registry = *scoregen::engine::builtin_registry();
  for (const Published& c : kPublished) {
    SCOPED_TRACE(c.pipeline);
    const std::string shipped_text = scoregen::engine::read_file(cli::source(c.pipeline));
    const std::string imported_text = scoregen::engine::score_sde_pipeline(c.config);
    const toml::table shipped = toml::parse(shipped_text), imported = toml::parse(imported_text);
    const Pipeline shipped_pipeline = Pipeline::parse(shipped_text, c.pipeline, {}, registry);
    const Pipeline imported_pipeline = Pipeline::parse(imported_text, c.config, {}, registry);
    std::set<std::string> shared;
    for (const auto& [name, node] : imported) {
      if (!node.is_table()) continue;
      const std::string section(name.str());
      shared.insert(section);
      ASSERT_TRUE(shipped.contains(section)) << "[" << section << "] is missing";
      // the same keys written, and the same values as the declarations type them (50 and 50.0 are one float)
      EXPECT_EQ(keys_of(*shipped[section].as_table()), keys_of(*node.as_table())) << "[" << section << "]";
      const auto& want = imported_pipeline.options(section).values();
      const auto& have = shipped_pipeline.options(section).values();
      ASSERT_EQ(have.size(), want.size()) << "[" << section << "]";
      for (const auto& [key, value] : want)
        EXPECT_EQ(scoregen::to_toml(have.at(key)), scoregen::to_toml(value)) << "[" << section << "] " << key;
    }
    EXPECT_EQ(shared, (std::set<std::string>{"sde", "network", "sampler", "nll"}));
    // default_cifar10_configs.py: training.batch_size, n_iters 1300001 (steps 0 .. 1300000), optim.lr, beta1,
    // weight_decay, warmup, grad_clip; the config's model.ema_rate
    const auto& train = shipped_pipeline.options("train");
    EXPECT_EQ(train.integer("batch_size"), 128);
    EXPECT_EQ(train.integer("steps"), 1300000);
    EXPECT_EQ(train.real("lr"), 2e-4);
    EXPECT_EQ(train.real("beta1"), 0.9);
    EXPECT_EQ(train.real("weight_decay"), 0.0);
    EXPECT_EQ(train.integer("warmup"), 5000);
    EXPECT_EQ(train.real("grad_clip"), 1.0);
    EXPECT_EQ(train.real("ema"), c.ema);
    // training.likelihood_weighting = False (lambda = sigma^2) and reduce_mean; data.centered and random_flip
    const auto& objective = shipped_pipeline.options("objective");
    EXPECT_EQ(shipped_pipeline.plugin("objective").name, "dsm");
    EXPECT_EQ(objective.string("weighting"), "sigma2");
    EXPECT_EQ(objective.string("reduction"), c.reduction);
    const auto& data = shipped_pipeline.options("data");
    EXPECT_EQ(shipped_pipeline.plugin("data").name, "cifar10");
    EXPECT_EQ(data.string("scale"), c.scale);
    EXPECT_TRUE(data.boolean("hflip"));
    EXPECT_FALSE(data.boolean("dequantize"));  // data.uniform_dequantization = False
    EXPECT_EQ(data.string("split"), "train");
  }
}
