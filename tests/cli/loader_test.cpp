// The plugin loader through the real binary: every refusal names the file, exits 2 and crashes nothing.
#include <gtest/gtest.h>

#include "cli_support.hpp"

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
