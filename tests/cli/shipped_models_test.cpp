// The shipped checkpoints (written by an earlier scoregen, with its pipeline keys) load and sample as they did:
// reference samples stored before the engine/SDK restructuring, compared to 1e-3 of their largest value
// (tests/fixtures/reference_samples/README.md).
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"

namespace {

struct Case {
  const char* name;
  const char* flags;
};

class ShippedModel : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(ShippedModel, SamplesAsBeforeTheRestructuring) {
  const Case& c = GetParam();
  cli::TempDir dir;
  const std::string m = cli::source("share/models/");
  std::string flags = c.flags;
  for (std::size_t p; (p = flags.find("MODELS/")) != std::string::npos;) flags.replace(p, 7, m);
  auto r = cli::run("sample --num 4 --threads 1 --seed 7 -q " + flags + " --out " + dir.path("x.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  at::Tensor x = scoregen::engine::load_npy(dir.path("x.npy"));
  at::Tensor ref = scoregen::engine::load_npy(cli::source(std::string("tests/fixtures/reference_samples/") + c.name + ".npy"));
  ASSERT_EQ(x.sizes(), ref.sizes());
  const double scale = ref.abs().max().item<double>(), diff = (x - ref).abs().max().item<double>();
  EXPECT_LE(diff, 1e-3 * scale) << c.name << ": largest difference " << diff << " (reference max " << scale << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Models, ShippedModel,
    ::testing::Values(
        Case{"vp_pc", "--checkpoint MODELS/fashion_mnist_vp.pt --set sde.N=50 --set sampler.corrector=none"},
        Case{"vp_dpm", "--checkpoint MODELS/fashion_mnist_vp.pt --sampler dpm-solver++ --set sampler.steps=8"},
        Case{"vp_guided",
             "--checkpoint MODELS/fashion_mnist_vp.pt --set sde.N=50 --set sampler.corrector=none --set guidance=classifier "
             "--set guidance.embed_dim=16 --class 1 --guidance-scale 2 --guidance-checkpoint "
             "MODELS/fashion_mnist_classifier.pt"},
        Case{"ve_pc", "--checkpoint MODELS/fashion_mnist_ve.pt --set sde.N=30"},
        Case{"ve_heun", "--checkpoint MODELS/fashion_mnist_ve.pt --sampler heun-edm --set sampler.steps=6"},
        Case{"ncsn_ald", "--checkpoint MODELS/fashion_mnist_ncsn.pt --set sampler.n_steps=3"},
        Case{"vp_consistency", "--checkpoint MODELS/fashion_mnist_vp_consistency.pt --steps 2"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });
