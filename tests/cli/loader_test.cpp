// The plugin loader through the real binary: every refusal names the file, exits 2 and crashes nothing.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

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

TEST(Loader, AnOutOfTreeSamplerIsAskedWhatItCanDo) {
  cli::TempDir dir;
  // coordinate 0 of a 2-D mixture is known (3), coordinate 1 is filled in
  scoregen::engine::save_npy(at::tensor({3.0f, 0.0f}).reshape({1, 2}), dir.path("known.npy"));
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}).reshape({1, 2}), dir.path("mask.npy"));
  const std::string base = "inpaint " + cli::source("pipelines/oracle_mixture.toml") + " -q --image " +
                           dir.path("known.npy") + " --mask " + dir.path("mask.npy");
  const std::string lib = " --plugin-path " + cli::fixture("sampler");
  // the ode sampler cannot take the projection: the refusal names the samplers that can, asked of each
  auto without = cli::run(base + " --sampler ode --out " + dir.path("a.npy"));
  cli::expect_user_error(without, "the ode sampler cannot apply the inpainting projection after every update");
  EXPECT_EQ(without.out.find("fixture-projected-euler"), std::string::npos) << without.out;
  auto with = cli::run(base + " --sampler ode --out " + dir.path("a.npy") + lib);
  cli::expect_user_error(with, "fixture-projected-euler");
  // and it can: its completions keep the known coordinate, and --steps sets the step count it declares
  auto run = cli::run(base + " --sampler fixture-projected-euler --steps 40 --num 8 --out " + dir.path("b.npy") + lib);
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("fixture-projected-euler (40 steps)"), std::string::npos) << run.out;
  const at::Tensor b = scoregen::engine::load_npy(dir.path("b.npy"));
  ASSERT_EQ(b.size(0), 8);
  // the last projection is at t = eps: the known value noised by the SDE's marginal there (std about 0.03)
  EXPECT_LT((b.select(1, 0) - 3.0).abs().max().item<double>(), 0.2) << b;
  auto info = cli::run("plugins info fixture-projected-euler" + lib);
  EXPECT_NE(info.out.find("the step count: --steps N sets it"), std::string::npos) << info.out;
}

TEST(Loader, RerunLoadsTheRecordedOutOfTreeLibraryWhileItsBytesAreTheSame) {
  // made with the library found through SCOREGEN_PLUGIN_PATH, which the command line does not show
  cli::TempDir dir;
  const std::string lib = dir.path("fixture_extension.so");
  std::filesystem::copy_file(cli::fixture("extension/fixture_extension.so"), lib);
  const std::string pipe = dir.file("p.toml", kTwoModes), out = dir.path("x.npy");
  auto made = cli::shell("env SCOREGEN_PLUGIN_PATH=" + lib + " " + cli::binary() + " sample " + pipe +
                         " -q --num 64 --set sampler.predictor=fixture-ode-euler --out " + out + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.out;
  auto again = cli::run("rerun " + out + ".toml -q --out " + dir.path("again.npy"));
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_TRUE(at::equal(scoregen::engine::load_npy(out), scoregen::engine::load_npy(dir.path("again.npy"))));
  // a library whose bytes changed is named, not loaded
  std::ofstream(lib, std::ios::app) << "changed";
  auto changed = cli::run("rerun " + out + ".toml -q --out " + dir.path("third.npy"));
  EXPECT_EQ(changed.status, 2) << changed.out;
  EXPECT_NE(changed.out.find("its plugin-library " + lib + " changed since the record was made"), std::string::npos)
      << changed.out;
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

namespace {

// The RUNPATH (or RPATH) entries of an ELF file, as readelf prints them; empty when it has none.
std::vector<std::string> runpath_entries(const std::string& file) {
  auto r = cli::shell("readelf -d '" + file + "' 2>&1");
  std::vector<std::string> entries;
  for (const char* tag : {"runpath: [", "rpath: ["}) {
    auto at = r.out.find(tag);
    if (at == std::string::npos) continue;
    at += std::strlen(tag);
    const std::string list = r.out.substr(at, r.out.find(']', at) - at);
    std::size_t start = 0;
    for (std::size_t colon; (colon = list.find(':', start)) != std::string::npos; start = colon + 1)
      entries.push_back(list.substr(start, colon - start));
    entries.push_back(list.substr(start));
  }
  return entries;
}

}  // namespace

TEST(Loader, EveryBuiltBinaryAndPluginSearchesOnlyAbsoluteOrOriginRelativeFolders) {
  // An empty entry searches the working directory (and a relative one, a folder below it): whoever controls the
  // folder a user runs scoregen in could plant libfmt.so.9 there. The installed targets use $ORIGIN only.
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(SCOREGEN_BUILD_DIR)) {
    const std::string p = e.path().string();
    const bool binary = e.path().parent_path() == fs::path(SCOREGEN_BUILD_DIR) / "bin";
    if (e.is_regular_file() && (binary || p.find(".so") != std::string::npos) && p.find("CMakeFiles") == std::string::npos)
      files.push_back(p);
  }
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files)
    for (const auto& entry : runpath_entries(f)) {
      EXPECT_FALSE(entry.empty()) << f << " has an empty RUNPATH entry (the working directory)";
      EXPECT_TRUE(entry.rfind("$ORIGIN", 0) == 0 || entry.rfind("/", 0) == 0) << f << ": relative entry " << entry;
    }
  for (const std::string f : {cli::binary(), std::string(SCOREGEN_BUILD_DIR) + "/" + SCOREGEN_PLUGIN_SUBDIR + "/scoregen_sde.so"}) {
    const auto entries = runpath_entries(f);
    ASSERT_FALSE(entries.empty()) << f;
    // $ORIGIN-relative, or the folder of a LibTorch outside the system's folders (PyPI's torch: SCOREGEN_TORCH_RPATH)
    for (const auto& entry : entries) {
      const std::string torch_folders = std::string(";") + SCOREGEN_TORCH_RPATH + ";";
      const bool torch_folder = !entry.empty() && torch_folders.find(";" + entry + ";") != std::string::npos;
      EXPECT_TRUE(entry.rfind("$ORIGIN", 0) == 0 || torch_folder) << f << ": " << entry;
    }
  }
}

TEST(Loader, NothingIsLoadedFromTheWorkingDirectory) {
  // Planted libraries and a plugin in the folder scoregen runs in: none is loaded. The planted libraries are real
  // ELF libraries without the symbols the binary needs (were one loaded, the binary would fail to start); the
  // planted plugin's component would be listed.
  cli::TempDir dir;
  for (const char* lib : {"libfmt.so.9", "libtorch.so.1.13", "libscoregen.so.0", "libc10.so.1.13"})
    std::filesystem::copy_file(cli::fixture("no_entry/fixture_no_entry.so"), dir.path(lib));
  std::filesystem::copy_file(cli::fixture("good/fixture_good.so"), dir.path("fixture_good.so"));
  auto version = cli::shell("cd '" + dir.path("") + "' && env -u SCOREGEN_PLUGIN_PATH " + cli::binary() + " --version 2>&1");
  EXPECT_EQ(version.status, 0) << version.out;
  EXPECT_NE(version.out.find("scoregen "), std::string::npos) << version.out;
  auto plugins = cli::shell("cd '" + dir.path("") + "' && env -u SCOREGEN_PLUGIN_PATH " + cli::binary() + " plugins 2>&1");
  EXPECT_EQ(plugins.status, 0) << plugins.out;
  EXPECT_EQ(plugins.out.find("fixture-constant"), std::string::npos) << plugins.out;
}
