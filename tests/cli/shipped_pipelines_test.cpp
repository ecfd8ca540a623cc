// Every pipeline in pipelines/ is valid and runs: one training step for trainable ones, a few samples otherwise.
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "engine/files.hpp"

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
    auto r = trainable ? cli::run("train " + f + " -q --steps 1 --set train.batch_size=4 --out " + dir.path("run"))
                       : cli::run("sample " + f + " -q --num 4 --out " + dir.path("x.npy"));
    EXPECT_EQ(r.status, 0) << f << "\n" << r.out;
  }
}
