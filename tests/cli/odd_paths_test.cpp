// A path is the text the user gave, whatever it holds: every path flag and positional path takes one with spaces,
// double and single quotes, backslashes, a tab and non-ASCII letters (flags reach the pipeline as TOML values,
// never as text parsed again).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_support.hpp"

namespace {

// `s` as one single-quoted shell word.
std::string word(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(OddPaths, EveryPathFlagTakesSpacesQuotesBackslashesTabsAndNonAsciiLetters) {
  cli::TempDir dir;
  const std::string odd = dir.path("a b \"q\" 'x' c\\d\te \xC3\xA9t\xC3\xA9");  // a b "q" 'x' c\d<TAB>e été
  ASSERT_TRUE(std::filesystem::create_directory(odd));
  auto at = [&](const std::string& name) { return odd + "/" + name; };
  std::ofstream(at("p.toml")) << cli::MoonsMlp{3, 100, 16, 20, 32, "[sampler]\nplugin = \"ode\"\n"}.text();
  auto ok = [](const cli::Run& r) {
    EXPECT_EQ(r.status, 0) << r.out;
    return r.status == 0;
  };

  // train: the pipeline and --out (the run folder)
  ASSERT_TRUE(ok(cli::run("train " + word(at("p.toml")) + " -q --out " + word(at("run")))));
  const std::string ck = at("run/checkpoint.pt");
  ASSERT_TRUE(std::filesystem::exists(ck));
  // sample: --checkpoint and --out, as .npy and .png; its record reruns from the odd folder
  ASSERT_TRUE(ok(cli::run("sample --checkpoint " + word(ck) + " -q --num 8 --out " + word(at("s 1.npy")))));
  EXPECT_TRUE(std::filesystem::exists(at("s 1.npy.toml")));
  EXPECT_TRUE(ok(cli::run("sample --checkpoint " + word(ck) + " -q --num 8 --out " + word(at("s\"2\".png")))));
  EXPECT_TRUE(std::filesystem::exists(at("s\"2\".png")));
  EXPECT_TRUE(ok(cli::run("rerun " + word(at("s 1.npy.toml")) + " -q --out " + word(at("again.npy")))));
  // nll and the latent commands: --data, --latent and --out
  EXPECT_TRUE(ok(cli::run("nll --checkpoint " + word(ck) + " -q --data " + word(at("s 1.npy")) + " --num 8 --out " +
                          word(at("n\\1.csv")))));
  EXPECT_TRUE(std::filesystem::exists(at("n\\1.csv")));
  ASSERT_TRUE(ok(cli::run("encode --checkpoint " + word(ck) + " -q --data " + word(at("s 1.npy")) + " --num 8 --out " +
                          word(at("z\t1.npy")))));
  EXPECT_TRUE(ok(cli::run("decode --checkpoint " + word(ck) + " -q --latent " + word(at("z\t1.npy")) + " --out " +
                          word(at("x \xC3\xA9.npy")))));
  EXPECT_TRUE(std::filesystem::exists(at("x \xC3\xA9.npy")));
  // the run folder of plot and the folder of --plugin-path
  EXPECT_TRUE(ok(cli::run("plot " + word(at("run")) + " --out " + word(at("m 'l'.png")))));
  EXPECT_TRUE(std::filesystem::exists(at("m 'l'.png")));
  std::filesystem::copy(cli::fixture("extension"), at("plug ins"), std::filesystem::copy_options::recursive);
  const cli::Run plugins = cli::stdout_of("plugins --plugin-path " + word(at("plug ins")));
  EXPECT_NE(plugins.out.find("fixture-weighted-dsm"), std::string::npos) << plugins.out;
}

}  // namespace
