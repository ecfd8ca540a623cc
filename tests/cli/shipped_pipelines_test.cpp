// Every pipeline in pipelines/ is valid and runs: one training step for trainable ones, a few samples otherwise.
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "engine/io/files.hpp"

TEST(ShippedPipelines, EveryPipelineRuns) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(cli::source("pipelines")))
    if (e.path().extension() == ".toml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    cli::TempDir dir;
    std::string text = scoregen::engine::read_file(f);
    bool trainable = text.find("\n[train]") != std::string::npos;
    std::string data;
    if (text.find("plugin = \"images\"") != std::string::npos) {
      // own_images.toml's worked example: a folder of 28x28 PNGs drawn from the shipped model, one per sample
      std::filesystem::create_directories(dir.path("my_images"));
      auto drawn = cli::run("sample --checkpoint " + cli::source("share/models/fashion_mnist_vp.pt") +
                            " -q --num 4 --grid off --sampler dpm-solver++ --steps 2 --out " + dir.path("my_images/img.png"));
      ASSERT_EQ(drawn.status, 0) << drawn.out;
      ASSERT_TRUE(std::filesystem::exists(dir.path("my_images/img_003.png")));
      data = " --set data.root='\"" + dir.path("my_images") + "\"'";
    }
    auto r = trainable ? cli::run("train " + f + data + " -q --steps 1 --set train.batch_size=4 --out " + dir.path("run"))
                       : cli::run("sample " + f + " -q --num 4 --out " + dir.path("x.npy"));
    EXPECT_EQ(r.status, 0) << f << "\n" << r.out;
    if (!data.empty())  // the images' own 28x28, found and trained on
      EXPECT_NE(r.out.find(" examples of shape [1, 28, 28]"), std::string::npos) << r.out;
  }
}
