// Every pipeline in pipelines/ is valid and runs: one training step for trainable ones, a few samples otherwise.
// The CIFAR-10 ones train on a made-up folder of 10 images with a narrowed network.
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "engine/io/files.hpp"
#include "fixtures/cifar10_batches.hpp"

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
    const bool own_images = text.find("plugin = \"images\"") != std::string::npos;
    const bool cifar10 = text.find("plugin = \"cifar10\"") != std::string::npos;
    if (own_images) {
      // own_images.toml's worked example: a folder of 28x28 PNGs drawn from the shipped model, one per sample
      std::filesystem::create_directories(dir.path("my_images"));
      auto drawn = cli::run("sample --checkpoint " + cli::source("share/models/fashion_mnist_vp.pt") +
                            " -q --num 4 --grid off --sampler dpm-solver++ --steps 2 --out " + dir.path("my_images/img.png"));
      ASSERT_EQ(drawn.status, 0) << drawn.out;
      ASSERT_TRUE(std::filesystem::exists(dir.path("my_images/img_003.png")));
      data = " --set data.root='\"" + dir.path("my_images") + "\"'";
    }
    if (cifar10) {
      // the CIFAR-10 pipelines: a made-up folder in CIFAR-10's binary format, the paper's 128-wide network narrowed
      // to one block of 16 for one CPU step, and no grid of 1000-step samples after it (their published tables are
      // cifar10_pipelines_test.cpp's)
      test::write_cifar10_folder(dir.path("cifar-10-batches-bin"), 2, 2);
      data = " --set data.path='\"" + dir.path("cifar-10-batches-bin") + "\"' --set network.nf=16 "
             "--set network.num_res_blocks=1 --set train.sample_every=0";
    }
    auto r = trainable ? cli::run("train " + f + data + " -q --steps 1 --set train.batch_size=4 --out " + dir.path("run"))
                       : cli::run("sample " + f + " -q --num 4 --out " + dir.path("x.npy"));
    EXPECT_EQ(r.status, 0) << f << "\n" << r.out;
    if (own_images)  // the images' own 28x28, found and trained on
      EXPECT_NE(r.out.find(" examples of shape [1, 28, 28]"), std::string::npos) << r.out;
    if (cifar10)  // the 5 training files' 2 records each
      EXPECT_NE(r.out.find("on cifar10 (10 examples of shape [3, 32, 32]"), std::string::npos) << r.out;
  }
}
