// Models that run in Python: `export --torchscript` writes a module whose forward(x, t) is scoregen's own score
// (parameterisation applied, the SDE's schedule inside), loaded by torch.jit.load with no scoregen installed; the
// torchscript network plugin reads such a module relative to its pipeline, with an example shape and no [data].
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "cli_support.hpp"
#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"

namespace {

const std::string kToy = cli::MoonsMlp{4, 100, 32, 40, 64, "[sampler]\nplugin = \"dpm-solver++\"\nsteps = 10\n"}.text();

// scoregen's score of `ckpt` at (x, t), through the engine the commands use.
at::Tensor scoregen_score(const std::string& ckpt, const at::Tensor& x, const at::Tensor& t) {
  scoregen::engine::SessionRequest req;
  req.checkpoint = ckpt;
  req.quiet = true;
  scoregen::engine::AssemblyRequest ar;
  ar.command = "test";
  ar.checkpoint = ckpt;
  scoregen::engine::Assembly a = scoregen::engine::assemble(scoregen::engine::open_session(req), ar);
  torch::NoGradGuard no_grad;
  return a.model->score(x, t);
}

// What Python makes of an exported module: the largest difference from scoregen's score relative to the largest score,
// and how many fixed devices its code names (the tracer recorded "cpu" for every tensor the model creates, and the
// module failed on CUDA inputs: it must follow its input's device).
struct InPython {
  double difference = 1e9;
  int fixed_devices = -1;
  int one_by_one = -1;  // 1: a score traced on one example applied row by row (the network's shapes name its batch)
};

// Exports `ckpt` and evaluates the module in Python on (x, t).
InPython in_python(const cli::TempDir& dir, const std::string& ckpt, const at::Tensor& x, const at::Tensor& t) {
  const std::string module = dir.path("score.pt");
  auto e = cli::run("export --checkpoint " + ckpt + " --torchscript --out " + module);
  EXPECT_EQ(e.status, 0) << e.out;
  scoregen::engine::save_npy(x, dir.path("x.npy"));
  scoregen::engine::save_npy(t, dir.path("t.npy"));
  scoregen::engine::save_npy(scoregen_score(ckpt, x, t), dir.path("s.npy"));
  const std::string py =
      "import numpy, torch\n"
      "m = torch.jit.load('" + module + "')\n"
      "x = torch.from_numpy(numpy.load('" + dir.path("x.npy") + "'))\n"
      "t = torch.from_numpy(numpy.load('" + dir.path("t.npy") + "'))\n"
      "s = torch.from_numpy(numpy.load('" + dir.path("s.npy") + "'))\n"
      "methods = [n for n in ('score_batch', 'score_one') if m._c._has_method(n)]\n"
      "print('fixed_devices', sum(getattr(m, n).code.count('torch.device(') for n in methods))\n"
      "print('one_by_one', int('score_one' in methods))\n"
      "with torch.no_grad():\n"
      "    print('difference', ((m(x, t) - s).abs().max() / s.abs().max()).item())\n";
  auto r = cli::shell(std::string(SCOREGEN_TEST_PYTHON) + " " + dir.file("check.py", py) + " 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  InPython result;
  if (const auto at = r.out.find("fixed_devices "); at != std::string::npos) result.fixed_devices = std::stoi(r.out.substr(at + 14));
  if (const auto at = r.out.find("difference "); at != std::string::npos) result.difference = std::stod(r.out.substr(at + 11));
  if (const auto at = r.out.find("one_by_one "); at != std::string::npos) result.one_by_one = std::stoi(r.out.substr(at + 11));
  return result;
}

}  // namespace

TEST(TorchScript, AnExportedToyScoreIsScoregensScoreInPython) {
  cli::TempDir dir;
  ASSERT_EQ(cli::run("train " + dir.file("p.toml", kToy) + " -q --out " + dir.path("run")).status, 0);
  at::Tensor x = at::randn({16, 2}, at::make_generator<at::CPUGeneratorImpl>(1));
  at::Tensor t = at::linspace(1e-3, 1.0, 16);
  const InPython p = in_python(dir, dir.path("run/checkpoint.pt"), x, t);
  EXPECT_LT(p.difference, 1e-5);
  EXPECT_EQ(p.fixed_devices, 0);
  EXPECT_EQ(p.one_by_one, 0);  // one traced call for the whole batch
}

TEST(TorchScript, AnExportedImageScoreIsScoregensScoreInPython) {
  // the shipped VP U-Net predicts noise: the module divides by the marginal std itself
  cli::TempDir dir;
  at::Tensor x = at::randn({2, 1, 28, 28}, at::make_generator<at::CPUGeneratorImpl>(2));
  at::Tensor t = at::tensor({0.05f, 0.7f});
  const InPython p = in_python(dir, cli::source("share/models/fashion_mnist_vp.pt"), x, t);
  EXPECT_LT(p.difference, 1e-5);
  EXPECT_EQ(p.fixed_devices, 0);  // the time embedding's arange follows x (was device "cpu")
  EXPECT_EQ(p.one_by_one, 0);     // was 64 calls for 64 examples: 3.6 s for 1024 on an H200
}

TEST(TorchScript, AnExportedNcsnppWithFirResamplingIsScoregensScoreInPython) {
  // NCSN++ with FIR up/downsampling and the residual input path (a score_sde_pytorch fixture, imported): its FIR
  // filters were built inside the trace with at::tensor, which the tracer records as an uninitialised empty tensor,
  // so the exported module computed NaN (and was applied row by row, its check against the model having failed).
  cli::TempDir dir;
  const std::string fixture = cli::source("tests/fixtures/score_sde/ve_ncsnpp_continuous/");
  auto i = cli::run("import score-sde " + fixture + "checkpoint.pth --config " + fixture + "config.toml -q --out " +
                    dir.path("ve.pt"));
  ASSERT_EQ(i.status, 0) << i.out;
  at::Tensor x = at::rand({3, 3, 16, 16}, at::make_generator<at::CPUGeneratorImpl>(3));
  at::Tensor t = at::tensor({0.1f, 0.5f, 0.9f});
  const InPython p = in_python(dir, dir.path("ve.pt"), x, t);
  EXPECT_LT(p.difference, 1e-5);
  EXPECT_EQ(p.fixed_devices, 0);
  EXPECT_EQ(p.one_by_one, 0);
}

TEST(TorchScript, TheTorchScriptNetworkReadsItsFileBesideThePipelineWithAShape) {
  cli::TempDir dir;
  ASSERT_EQ(cli::run("train " + dir.file("p.toml", kToy) + " -q --out " + dir.path("run")).status, 0);
  std::filesystem::create_directories(dir.path("imported"));
  ASSERT_EQ(cli::run("export --checkpoint " + dir.path("run/checkpoint.pt") + " --torchscript --out " +
                     dir.path("imported/score.pt")).status, 0);
  // no [data]: the shape comes from the network table; `file` is relative to the pipeline, not to where it runs
  const std::string imported = dir.file("imported/p.toml", R"(seed = 4
[sde]
plugin = "vp"
N = 100
[network]
plugin = "torchscript"
file = "score.pt"
shape = [2]
[sampler]
plugin = "dpm-solver++"
steps = 10
)");
  auto a = cli::run("sample " + imported + " -q --num 32 --out " + dir.path("a.npy"));
  ASSERT_EQ(a.status, 0) << a.out;
  ASSERT_EQ(cli::run("sample " + dir.path("p.toml") + " --checkpoint " + dir.path("run/checkpoint.pt") +
                     " -q --num 32 --out " + dir.path("b.npy")).status, 0);
  at::Tensor sa = scoregen::engine::load_npy(dir.path("a.npy")), sb = scoregen::engine::load_npy(dir.path("b.npy"));
  EXPECT_LT((sa - sb).abs().max().item<double>(), 1e-4);
  // the record names the module it read, with its hash, and a rerun from another folder finds it
  const std::string record = scoregen::engine::read_file(dir.path("a.npy.toml"));
  EXPECT_NE(record.find("role = \"[network] file\", path = \"" + dir.path("imported/score.pt") + "\", sha256 = "),
            std::string::npos) << record;
  auto again = cli::shell("cd / && " + cli::binary() + " rerun " + dir.path("a.npy.toml") + " -q --out " +
                          dir.path("c.npy") + " 2>&1");
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_TRUE(scoregen::engine::read_file(dir.path("a.npy")) == scoregen::engine::read_file(dir.path("c.npy")));
}
