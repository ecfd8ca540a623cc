// The plugin loader through the real binary: every refusal names the file, exits 2 and crashes nothing.
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "engine/array_io.hpp"
#include "engine/files.hpp"

using cli::run;

TEST(Loader, BuiltinPluginsAreListed) {
  auto r = run("plugins");
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* name : {"ve", "vp", "subvp", "smld", "ddpm", "gaussian-mixture", "pc", "mixture"})
    EXPECT_NE(r.out.find(std::string(" ") + name + " "), std::string::npos) << name << "\n" << r.out;
  EXPECT_NE(r.out.find("scoregen_sde.so"), std::string::npos);
}

TEST(Loader, NotALibraryNamesTheFile) {
  cli::TempDir dir;
  std::string junk = dir.file("junk.so", "this is not an ELF file\n");
  auto r = run("plugins --plugin-path " + junk);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("scoregen: error: " + junk + ": cannot load plugin library"), std::string::npos) << r.out;
}

TEST(Loader, LibraryWithoutEntryPointIsRefused) {
  std::string lib = cli::fixture("no_entry/fixture_no_entry.so");
  auto r = run("plugins --plugin-path " + lib);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find(lib + ": not a scoregen plugin (it does not export scoregen_plugin_abi)"), std::string::npos) << r.out;
}

TEST(Loader, WrongAbiIsRefusedBeforeAnyCall) {
  std::string lib = cli::fixture("wrong_abi/fixture_wrong_abi.so");
  auto r = run("plugins", "SCOREGEN_PLUGIN_PATH=" + cli::fixture("wrong_abi"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find(lib + ": incompatible plugin: built for plugin ABI 999"), std::string::npos) << r.out;
}

TEST(Loader, DuplicateNameNamesBothFiles) {
  auto r = run("plugins --plugin-path " + cli::fixture("duplicate"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("sde plugin 'vp' is defined twice: in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scoregen_sde.so and in " + cli::fixture("duplicate/fixture_duplicate.so")), std::string::npos)
      << r.out;
}

TEST(Loader, EnvironmentPathThenFlagPath) {
  auto env = run("plugins info fixture-constant", "SCOREGEN_PLUGIN_PATH=/nonexistent-ok-to-skip:" + cli::fixture("good"));
  EXPECT_EQ(env.status, 2) << "a missing folder on the path is an error, not silence: " << env.out;
  EXPECT_NE(env.out.find("/nonexistent-ok-to-skip: plugin path does not exist"), std::string::npos) << env.out;
  auto r = run("plugins info fixture-constant", "SCOREGEN_PLUGIN_PATH=" + cli::fixture("good"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("dataset plugin 'fixture-constant'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("value (float, required)"), std::string::npos) << r.out;
  // The same library reached twice (environment and flag) is loaded once, not a duplicate.
  auto twice = run("plugins --plugin-path " + cli::fixture("good"), "SCOREGEN_PLUGIN_PATH=" + cli::fixture("good"));
  EXPECT_EQ(twice.status, 0) << twice.out;
}

TEST(Loader, FixturePluginRunsInAPipeline) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", R"(
[sde]
plugin = "vp"
N = 50
[data]
plugin = "fixture-constant"
value = 1.5
[network]
plugin = "gaussian-mixture"
weights = [1.0]
means = [[1.5, 1.5]]
stds = [0.1]
[sampler]
plugin = "pc"
)");
  auto r = run("sample " + pipe + " -q --num 8 --out " + dir.path("x.npy") + " --plugin-path " + cli::fixture("good"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path("x.npy")));
}

namespace {
const char* kTwoModes = R"(seed = 2
[sde]
plugin = "vp"
N = 200
[network]
plugin = "gaussian-mixture"
weights = [0.5, 0.5]
means = [[-2.0, 0.0], [2.0, 0.0]]
stds = [0.3, 0.3]
[sampler]
plugin = "pc"
corrector = "none"
)";
}  // namespace

TEST(Loader, PredictorFromOutsideTheTreeJoinsThePcSampler) {
  cli::TempDir dir;
  const std::string ext = " --plugin-path " + cli::fixture("extension");
  auto info = cli::run("plugins info pc" + ext);
  ASSERT_EQ(info.status, 0) << info.out;
  EXPECT_NE(info.out.find("one of: ancestral, euler-maruyama, fixture-ode-euler, reverse-diffusion, none"), std::string::npos)
      << info.out;
  std::string pipe = dir.file("p.toml", kTwoModes);
  const std::string base = "sample " + pipe + " -q --num 4000 --batch-size 4000 --set sampler.predictor=fixture-ode-euler";
  auto r = cli::run(base + " --out " + dir.path("x.npy") + ext);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("pc (fixture-ode-euler + none"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NFE: 200 per batch"), std::string::npos) << r.out;
  // the deterministic PF-ODE Euler steps land on the two modes with their spread
  at::Tensor x = scoregen::engine::load_npy(dir.path("x.npy")).select(1, 0);
  at::Tensor right = x > 0;
  EXPECT_NEAR(right.to(at::kDouble).mean().item<double>(), 0.5, 0.03);
  EXPECT_NEAR(x.masked_select(right).mean().item<double>(), 2.0, 0.05);
  EXPECT_NEAR(x.masked_select(right).std().item<double>(), 0.3, 0.05);
  // its own option joins [sampler], typed and checked like the built-ins'
  EXPECT_EQ(cli::run(base + " --set sampler.gain=0.5 --out " + dir.path("y.npy") + ext).status, 0);
  auto typo = cli::run(base + " --set sampler.gian=0.5 --out " + dir.path("z.npy") + ext);
  EXPECT_EQ(typo.status, 2) << typo.out;
  EXPECT_NE(typo.out.find("unknown key 'gian' (did you mean 'gain'?)"), std::string::npos) << typo.out;
  auto range = cli::run(base + " --set sampler.gain=0 --out " + dir.path("z.npy") + ext);
  EXPECT_NE(range.out.find("[sampler] gain: must be > 0 (got 0)"), std::string::npos) << range.out;
  // without the library the name is unknown, with the list of what is loaded
  auto missing = cli::run(base + " --out " + dir.path("z.npy"));
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.out.find("'fixture-ode-euler' is not one of: ancestral, euler-maruyama, reverse-diffusion, none"),
            std::string::npos)
      << missing.out;
}

TEST(Loader, ObjectiveFromOutsideTheTreeTrains) {
  cli::TempDir dir;
  std::string pipe = dir.file("t.toml", R"([sde]
plugin = "vp"
[data]
plugin = "moons"
[network]
plugin = "mlp"
width = 16
[objective]
plugin = "fixture-weighted-dsm"
weight = 2.0
[train]
steps = 20
batch_size = 16
log_every = 10
)");
  auto r = cli::run("train " + pipe + " -q --out " + dir.path("run") + " --plugin-path " + cli::fixture("extension"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("objective fixture-weighted-dsm"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path("run/checkpoint.pt")));
  std::string stored = scoregen::engine::read_file(dir.path("run/pipeline.toml"));
  EXPECT_NE(stored.find("[objective]\nplugin = \"fixture-weighted-dsm\"\nweight = 2.0"), std::string::npos) << stored;
}
