// TOML pipeline validation through the real binary: one line naming file:line:column, exit 2, no output file.
#include <gtest/gtest.h>
#include <torch/version.h>

#include "scoregen/version.hpp"

#include "cli_support.hpp"

namespace {

const char* kGood = R"(seed = 1
[sde]
plugin = "vp"
N = 50
[network]
plugin = "gaussian-mixture"
weights = [0.5, 0.5]
means = [[-2.0, 0.0], [2.0, 0.0]]
stds = [0.3, 0.3]
[sampler]
plugin = "pc"
)";

// Runs `sample` on `text`; expects exit 2, the message, a single line, and no output written.
void expect_error(const std::string& text, const std::string& message, const std::string& extra = "") {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", text);
  auto r = cli::run("sample " + pipe + " -q --out " + dir.path("out.png") + " " + extra);
  EXPECT_EQ(r.status, 2) << r.out;
  std::string expected = "scoregen: error: " + message;
  for (std::size_t p; (p = expected.find("FILE")) != std::string::npos;) expected.replace(p, 4, pipe);
  EXPECT_NE(r.out.find(expected), std::string::npos) << "expected: " << expected << "\ngot: " << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(dir.count(), 1u) << "an output file was left behind";
}

}  // namespace

TEST(PipelineErrors, GoodPipelineSamples) {
  cli::TempDir dir;
  auto r = cli::run("sample " + dir.file("p.toml", kGood) + " -q --num 16 --out " + dir.path("out.png"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path("out.png")));
  EXPECT_TRUE(std::filesystem::exists(dir.path("out.png.toml")));
}

TEST(PipelineErrors, MalformedToml) {
  expect_error("[sde]\nplugin = \"vp\nN = 3\n", "FILE:2:");
}

TEST(PipelineErrors, UnknownKeyWithSuggestion) {
  std::string text = kGood;
  text.replace(text.find("N = 50"), 6, "beta_mx = 3.0");
  expect_error(text, "FILE:4:1: [sde] unknown key 'beta_mx' (did you mean 'beta_max'?); sde plugin 'vp' takes: beta_min, beta_max, N");
}

TEST(PipelineErrors, WrongType) {
  std::string text = kGood;
  text.replace(text.find("N = 50"), 6, "N = \"twenty\"");
  expect_error(text, "FILE:4:5: [sde] N: expected integer, got string");
}

TEST(PipelineErrors, MissingRequiredValue) {
  std::string text = kGood;
  text.replace(text.find("stds = [0.3, 0.3]\n"), 18, "");
  expect_error(text, "FILE:5:2: [network] missing required key 'stds' (array of floats: K isotropic standard deviations)");
}

TEST(PipelineErrors, UnknownPluginListsAvailable) {
  std::string text = kGood;
  text.replace(text.find("plugin = \"vp\""), 13, "plugin = \"vpp\"");
  expect_error(text, "FILE:3:10: [sde] unknown sde plugin 'vpp' (did you mean 'vp'?); available: ddpm, smld, subvp, ve, vp");
}

TEST(PipelineErrors, MissingPluginKey) {
  std::string text = kGood;
  text.replace(text.find("plugin = \"pc\"\n"), 14, "");
  expect_error(text, "FILE:10:2: [sampler] missing key 'plugin' (available sampler plugins: annealed-langevin, consistency, dpm-solver++, heun-edm, langevin, ode, pc, unipc)");
}

TEST(PipelineErrors, UnknownSection) {
  expect_error(std::string(kGood) + "[smaple]\nnum = 3\n", "FILE:12:2: unknown section [smaple] (did you mean [sample]?)");
}

TEST(PipelineErrors, ChoiceOutsideTheAllowedValues) {
  expect_error(std::string(kGood) + "predictor = \"euler\"\n",
               "FILE:12:13: [sampler] predictor: 'euler' is not one of: ancestral, euler-maruyama, reverse-diffusion, none");
}

TEST(PipelineErrors, NotANumber) {
  std::string text = kGood;
  text.replace(text.find("stds = [0.3, 0.3]"), 17, "stds = [0.3, nan]");
  expect_error(text, "FILE:9:14: [network] stds: expected a finite number, got nan");
}

TEST(PipelineErrors, SetOverrideIsTypedByTheDeclaration) {
  expect_error(kGood, "--set sde.N=abc: [sde] N: expected integer, got string", "--set sde.N=abc");
  expect_error(kGood, "--set sde.nn=3: [sde] unknown key 'nn'", "--set sde.nn=3");
  expect_error(kGood, "--set sdx.N=3: unknown section [sdx] (did you mean [sde]?)", "--set sdx.N=3");
  expect_error(kGood, "--set sde.N: expected section.key=value", "--set sde.N");
}

TEST(PipelineErrors, DeclaredRangeNamesThePosition) {
  std::string text = kGood;
  text.replace(text.find("N = 50"), 6, "N = 1");
  expect_error(text, "FILE:4:5: [sde] N: must be in [2, 1000000] (got 1)");
  expect_error(kGood, "--set sampler.steps=-1: [sampler] steps: must be in [0, 1000000] (got -1)", "--set sampler.steps=-1");
  std::string weights = kGood;
  weights.replace(weights.find("weights = [0.5, 0.5]"), 20, "weights = [0.5, -0.5]");
  expect_error(weights, "FILE:7:17: [network] weights: every element must be > 0 (element 1 is -0.5)");
}

TEST(PipelineErrors, SemanticCheckNamesThePosition) {
  std::string text = kGood;
  text.replace(text.find("N = 50"), 6, "N = 50\nbeta_min = 30.0\nbeta_max = 20.0");
  expect_error(text, "FILE:6:12: [sde] beta_max: must be greater than beta_min");
}

TEST(PipelineErrors, RenamedKeysSayHowToRewriteThem) {
  const std::string train = "[data]\nplugin = \"moons\"\n[train]\nsteps = 10\nobjective = \"ssm\"\nprobe = \"gaussian\"\n"
                            "weighting = \"sigma2\"\n";
  expect_error(std::string(kGood) + train,
               "FILE:16:1: [train] objective, weighting, probe moved to their own table: write [objective] with "
               "plugin = \"ssm\", probe = \"gaussian\" (and delete weighting: not options of 'ssm')");
  std::string ald = kGood;
  ald.replace(ald.find("plugin = \"pc\""), 13, "plugin = \"annealed-langevin\"\nn_steps_each = 20");
  ald.replace(ald.find("plugin = \"vp\""), 13, "plugin = \"smld\"");
  ald.replace(ald.find("N = 50"), 6, "L = 5");
  expect_error(ald, "FILE:12:1: [sampler] n_steps_each was renamed: write n_steps = 20 instead");
  expect_error(std::string(kGood) + "[inpaint]\nresample = 3\n",
               "FILE:13:1: [inpaint] resample moved to the pc sampler's table: write resample = 3 under [sampler] "
               "(plugin = \"pc\")");
}

TEST(PipelineErrors, SwitchingThePredictorOrCorrectorDropsTheOldOnesOptions) {
  // the file's corrector takes snr; --set corrector=none takes it away with the corrector
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", std::string(kGood) + "corrector = \"langevin\"\nsnr = 0.2\n");
  auto r = cli::run("sample " + pipe + " -q --num 8 --out " + dir.path("x.npy") + " --set sampler.corrector=none");
  EXPECT_EQ(r.status, 0) << r.out;
  // but an snr without a corrector that takes it is an error, not silently ignored
  expect_error(std::string(kGood) + "corrector = \"none\"\nsnr = 0.2\n", "FILE:13:1: [sampler] unknown key 'snr'");
}

TEST(PipelineErrors, MismatchedShapes) {
  std::string text = kGood;
  text.replace(text.find("[[-2.0, 0.0], [2.0, 0.0]]"), 25, "[[-2.0, 0.0], [2.0]]");
  expect_error(text, "FILE:8:9: [network] means: every mean must have the same, non-zero number of dimensions");
}

TEST(PipelineErrors, MissingPipelineFile) {
  auto r = cli::run("sample /nonexistent/p.toml");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("scoregen: error: /nonexistent/p.toml: cannot open pipeline file"), std::string::npos) << r.out;
}

TEST(PipelineErrors, BadOutputIsRefusedBeforeWork) {
  cli::TempDir dir;
  std::string pipe = dir.file("p.toml", kGood);
  auto r = cli::run("sample " + pipe + " -q --out " + dir.path("out.bmp"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find(dir.path("out.bmp") + ": unsupported output type '.bmp' (use .png, .npy or .pt)"), std::string::npos)
      << r.out;
  auto missing = cli::run("sample " + pipe + " -q --out " + dir.path("no/such/folder/out.png"));
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.out.find("does not exist"), std::string::npos) << missing.out;
  EXPECT_EQ(dir.count(), 1u);
}

TEST(Cli, UnknownFlagAndCommand) {
  auto r = cli::run("sample --frobnicate");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("scoregen: error: scoregen sample: Option"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frobnicate"), std::string::npos) << r.out;
  auto c = cli::run("smaple");
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.out.find("unknown command 'smaple'"), std::string::npos) << c.out;
}

TEST(Cli, HelpAndVersion) {
  for (const char* cmd : {"sample", "plugins"}) {
    auto r = cli::run(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("--plugin-path"), std::string::npos) << r.out;
  }
  auto s = cli::run("sample --help");
  for (const char* flag : {"--set", "--seed", "--device", "--num", "--batch-size", "--out", "--quiet"})
    EXPECT_NE(s.out.find(flag), std::string::npos) << flag;
  auto v = cli::run("--version");
  EXPECT_EQ(v.status, 0);
  // the LibTorch it was built against: Debian's 1.13.x, or a 2.x (docs/building.md)
  const std::string version = std::string("scoregen 0.1.0 (plugin ABI ") + std::to_string(SCOREGEN_ABI_VERSION) +
                              ", LibTorch " + TORCH_VERSION + ")";
  EXPECT_NE(v.out.find(version), std::string::npos) << v.out;
  auto top = cli::run("--help");
  for (const char* cmd : {"train", "sample", "nll", "inpaint", "plugins"}) EXPECT_NE(top.out.find(cmd), std::string::npos);
}

TEST(Cli, PluginsJsonAndInfo) {
  auto j = cli::run("plugins --json");
  ASSERT_EQ(j.status, 0);
  EXPECT_NE(j.out.find("\"kind\": \"sde\", \"name\": \"ve\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("{\"name\": \"sigma_max\", \"type\": \"float or \\\"auto\\\"\", \"default\": 50.0"), std::string::npos);
  auto i = cli::run("plugins info pc");
  EXPECT_EQ(i.status, 0);
  EXPECT_NE(i.out.find("a predictor plugin, one of: ancestral, euler-maruyama, reverse-diffusion, none"), std::string::npos)
      << i.out;
  EXPECT_NE(i.out.find("steps (integer, default 0, in [0, 1000000])"), std::string::npos) << i.out;
  auto u = cli::run("plugins info nothing-like-this");
  EXPECT_EQ(u.status, 2);
}

TEST(Cli, DeviceIsChecked) {
  cli::TempDir dir;
  auto r = cli::run("sample " + dir.file("p.toml", kGood) + " -q --device tpu --out " + dir.path("o.npy"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("'tpu' is not a torch device"), std::string::npos) << r.out;
}
