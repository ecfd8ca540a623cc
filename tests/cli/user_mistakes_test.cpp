// Every user mistake is one line and exit 2 before any work, never LibTorch's text, never a hang: the inputs a new
// user tried that once exited 1 with internals or never finished, and outputs that went where the user did not say.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_support.hpp"
#include "engine/array_io.hpp"

using cli::expect_user_error;

namespace {

// A trained toy model (20 steps is enough to load and run).
struct ToyRun {
  cli::TempDir dir;
  std::string ckpt;
  ToyRun() {
    const std::string pipe = dir.file("p.toml", cli::MoonsMlp{3, 100, 16, 20, 32, "[sampler]\nplugin = \"ode\"\n"}.text());
    auto r = cli::run("train " + pipe + " -q --out " + dir.path("run"));
    EXPECT_EQ(r.status, 0) << r.out;
    ckpt = dir.path("run/checkpoint.pt");
  }
};

}  // namespace

TEST(UserMistakes, EmptyArraysAreRefusedByName) {
  ToyRun toy;
  const std::string empty = toy.dir.path("empty.npy");
  scoregen::engine::save_npy(at::zeros({0, 2}), empty);
  expect_user_error(cli::run("decode --checkpoint " + toy.ckpt + " -q --latent " + empty + " --out " + toy.dir.path("d.npy")),
                    empty + ": no rows (shape [0, 2])");
  expect_user_error(cli::run("encode --checkpoint " + toy.ckpt + " -q --data " + empty + " --out " + toy.dir.path("e.npy")),
                    empty + ": no rows");
  expect_user_error(cli::run("encode --checkpoint " + toy.ckpt + " -q --num 0 --out " + toy.dir.path("e.npy")), "--num");
  EXPECT_FALSE(std::filesystem::exists(toy.dir.path("d.npy")));
}

TEST(UserMistakes, AnIdxFileWithoutImagesIsRefused) {
  cli::TempDir dir;
  // magic 0x00000803, 0 images of 28 x 28
  const std::string idx = dir.path("zero-images-idx3-ubyte");
  std::ofstream(idx, std::ios::binary) << std::string("\0\0\x08\x03\0\0\0\0\0\0\0\x1c\0\0\0\x1c", 16);
  expect_user_error(cli::run("train " + cli::source("pipelines/fashion_mnist_vp.toml") + " -q --steps 1 --set data.images='\"" +
                             idx + "\"' --set data.labelled=false --out " + dir.path("run")),
                    idx + ": holds no images");
}

TEST(UserMistakes, SizesBeyondAnyMemoryAreRefusedBeforeWork) {
  ToyRun toy;
  const std::string out = " --out " + toy.dir.path("s.npy");
  expect_user_error(cli::run("sample --checkpoint " + toy.ckpt + " -q --num 9223372036854775807" + out), "GiB are available");
  // 1e11 2-D samples: 745 GiB, refused at once (it once started a billion batches)
  expect_user_error(cli::run("sample --checkpoint " + toy.ckpt + " -q --num 100000000000" + out, "", "timeout 60"),
                    "need 745.1 GiB in memory");
  expect_user_error(cli::run("sample --checkpoint " + toy.ckpt + " -q --set sde.N=9223372036854775807" + out),
                    "[sde] N: must be in [2, 1000000]");
  // a batch larger than any request is the request (its batch count once overflowed: SIGFPE)
  auto big_batch = cli::run("sample --checkpoint " + toy.ckpt + " -q --num 4 --batch-size 9223372036854775807" + out);
  EXPECT_EQ(big_batch.status, 0) << big_batch.out;
  // step counts and probes beyond their declared ranges (a dpm-solver++ grid of 2^63 steps once filled 16 GB
  // before its allocation failed)
  expect_user_error(cli::run("sample --checkpoint " + toy.ckpt + " -q --num 2 --sampler dpm-solver++ --steps "
                             "9223372036854775807 --out " + toy.dir.path("t.npy")),
                    "[sampler] steps: must be in [2, 1000000]");
  expect_user_error(cli::run("nll --checkpoint " + toy.ckpt + " -q --set nll.n_probes=100000000000", "", "timeout 60"),
                    "[nll] n_probes: must be in [1, 1000]");
  // a network too large to allocate is the user's request, said in our words
  expect_user_error(cli::run("train " + toy.dir.file("big.toml", cli::MoonsMlp{3, 100, 4000000, 20, 32, ""}.text()) +
                             " -q --out " + toy.dir.path("big")),
                    "out of memory");
  EXPECT_FALSE(std::filesystem::exists(toy.dir.path("t.npy")));
}

TEST(UserMistakes, ThreadsAreBoundedByTheCores) {
  ToyRun toy;
  expect_user_error(cli::run("sample --checkpoint " + toy.ckpt + " -q --threads 100000 --num 4 --out " +
                                 toy.dir.path("s.npy"), "", "timeout 60"),
                    "threads on a machine with");
}

TEST(UserMistakes, ACheckpointsStoredOutputPathIsNeverUsed) {
  // A checkpoint carries the [sample] out of whoever trained it (here an absolute path); without --out the samples
  // go to the default name in the working directory.
  cli::TempDir dir;
  const std::string elsewhere = dir.path("elsewhere.npy");
  const std::string pipe = dir.file("p.toml", cli::MoonsMlp{3, 100, 16, 20, 32,
                                                             "[sampler]\nplugin = \"ode\"\n[sample]\nnum = 4\nout = \"" +
                                                                 elsewhere + "\"\n"}.text());
  ASSERT_EQ(cli::run("train " + pipe + " -q --out " + dir.path("run")).status, 0);
  std::filesystem::create_directory(dir.path("cwd"));
  auto r = cli::shell("cd '" + dir.path("cwd") + "' && " + cli::binary() + " sample --checkpoint " +
                      dir.path("run/checkpoint.pt") + " -q 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_FALSE(std::filesystem::exists(elsewhere)) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path("cwd/samples.png"))) << r.out;
}

TEST(UserMistakes, TheFuzzersMalformedCheckpointsAreOneLineThroughTheCommand) {
  // Each checkpoint libFuzzer found crashing or exhausting LibTorch (a SEGV in its TorchScript parser, a 4 GiB
  // allocation from a zip64 size) is refused by `sample` in one line, with no output written.
  cli::TempDir dir;
  const std::string corpus = cli::source("tests/fuzz/corpus/checkpoint_loader_fuzz");
  int findings = 0;
  for (const auto& e : std::filesystem::directory_iterator(corpus)) {
    if (e.path().filename().string().rfind("finding-", 0) != 0) continue;
    ++findings;
    auto r = cli::run("sample --checkpoint " + e.path().string() + " -q --out " + dir.path("x.npy"));
    expect_user_error(r, e.path().string() + ": not a scoregen checkpoint");
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir.path("x.npy"))) << e.path();
  }
  EXPECT_GE(findings, 5);
}
