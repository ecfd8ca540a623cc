// Every user mistake is one line and exit 2 before any work, never LibTorch's text, never a hang: the inputs a new
// user tried that once exited 1 with internals or never finished, and outputs that went where the user did not say.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <torch/version.h>

#include "cli_support.hpp"
#include "engine/io/array_io.hpp"

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
  // a batch whose examples fit (1e8 2-D points: 0.75 GiB) but whose activations do not: a trial step at 32 examples
  // measures them, and the run is refused before it starts, its folder gone (it once reached 7 GB, then the kernel's
  // OOM killer)
  const std::string mlp = toy.dir.file("mlp.toml", cli::MoonsMlp{3, 100, 64, 20, 32, ""}.text());
  auto huge = cli::run("train " + mlp + " -q --batch-size 100000000 --out " + toy.dir.path("huge"), "", "timeout 120");
  expect_user_error(huge, "[train] batch_size 100000000: one training step holds about ");
  EXPECT_NE(huge.out.find("MiB for 32), and "), std::string::npos) << huge.out;
  EXPECT_EQ(std::count(huge.out.begin(), huge.out.end(), '\n'), 2) << huge.out;  // the summary line, then the error
  EXPECT_FALSE(std::filesystem::exists(toy.dir.path("huge")));
  // the same measurement lets a large batch that fits train
  auto fits = cli::run("train " + mlp + " -q --steps 2 --batch-size 4096 --out " + toy.dir.path("fits"));
  EXPECT_EQ(fits.status, 0) << fits.out;
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

TEST(UserMistakes, NoOutputIsWrittenOverTheCommandsOwnInputs) {
  // The same file by name, through a link, by its record, or inside an input folder: one line, exit 2, every input
  // byte for byte as it was.
  ToyRun toy;
  namespace fs = std::filesystem;
  const std::string ck = toy.ckpt, link = toy.dir.path("link.pt"), data = toy.dir.path("x.npy");
  fs::create_symlink(ck, link);
  scoregen::engine::save_npy(at::zeros({4, 2}), data);
  const std::string known = toy.dir.path("known.npy"), mask = toy.dir.path("mask.npy");
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}), known);
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}), mask);
  auto bytes = [](const std::string& f) {
    std::ifstream in(f, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string ck_bytes = bytes(ck), data_bytes = bytes(data), known_bytes = bytes(known);
  const std::string with = " --checkpoint " + ck + " -q ";
  expect_user_error(cli::run("sample" + with + "-n 2 --out " + ck), "--out " + ck + " is the same file as the checkpoint");
  expect_user_error(cli::run("sample --checkpoint " + link + " -q -n 2 --out " + ck), "is the same file as the checkpoint " + link);
  expect_user_error(cli::run("encode" + with + "--data " + data + " --out " + data), "is the same file as the data");
  expect_user_error(cli::run("inpaint" + with + "--image " + known + " --mask " + mask + " --out " + known),
                    "is the same file as the image");
  expect_user_error(cli::run("export --checkpoint " + ck + " --out " + link), "is the same file as the checkpoint");
  // an output whose record would replace the pipeline it was read from (p.npy.toml is the record of p.npy)
  const std::string pipe = toy.dir.path("p.npy.toml");
  fs::copy_file(toy.dir.path("p.toml"), pipe);
  const std::string pipe_bytes = bytes(pipe);
  expect_user_error(cli::run("sample " + pipe + " -q -n 2 --out " + toy.dir.path("p.npy")),
                    "the record " + pipe + " of --out " + toy.dir.path("p.npy") + " is the same file as the pipeline");
  // a folder of images into itself, or into a folder inside it
  const std::string images = toy.dir.path("images");
  fs::create_directories(images + "/inner");
  scoregen::engine::save_npy(at::tensor({1.0f, 0.0f}), images + "/a.npy");
  expect_user_error(cli::run("inpaint" + with + "--image " + images + " --mask " + mask + " --out " + images),
                    "is the same folder as the image " + images);
  expect_user_error(cli::run("inpaint" + with + "--image " + images + " --mask " + mask + " --out " + images + "/inner"),
                    "lies inside the image " + images);
  // rerun of a record onto the checkpoint it read
  auto made = cli::run("sample" + with + "-n 2 --out " + toy.dir.path("s.npy"));
  ASSERT_EQ(made.status, 0) << made.out;
  expect_user_error(cli::run("rerun " + toy.dir.path("s.npy.toml") + " -q --out " + ck), "is the same file as the checkpoint");
  EXPECT_EQ(bytes(ck), ck_bytes);
  EXPECT_EQ(bytes(data), data_bytes);
  EXPECT_EQ(bytes(known), known_bytes);
  EXPECT_EQ(bytes(pipe), pipe_bytes);
  EXPECT_FALSE(fs::exists(toy.dir.path("p.npy")));
  EXPECT_FALSE(fs::exists(images + "/a.png"));
  EXPECT_FALSE(fs::exists(images + "/inner/a.png"));
}

TEST(UserMistakes, OneValuePerSetting) {
  // A dedicated flag and a --set of the same key, a flag given twice with two values, PIPELINE and --pipeline: an
  // error naming both values, never a silent winner.
  ToyRun toy;
  const std::string with = "sample --checkpoint " + toy.ckpt + " -q ", out = " --out " + toy.dir.path("s.npy");
  expect_user_error(cli::run(with + "--num 2 --set sample.num=3" + out),
                    "--num 2 and --set sample.num=3 give sample.num two values");
  expect_user_error(cli::run(with + "-n 2 --set ' sample.num = 3'" + out), "give sample.num two values");
  expect_user_error(cli::run(with + "-n 2 --seed 1 --set seed=2" + out), "--seed 1 and --set seed=2 give seed two values");
  expect_user_error(cli::run(with + "-n 2 --sampler ode --set sampler='\"pc\"'" + out), "give sampler two values");
  expect_user_error(cli::run(with + "-n 2 --out " + toy.dir.path("a.npy") + " --out " + toy.dir.path("b.npy")),
                    "--out is given twice, as '" + toy.dir.path("a.npy") + "' and as '" + toy.dir.path("b.npy") + "'");
  expect_user_error(cli::run(with + "-n 2 --steps 50 --steps 60" + out), "--steps is given twice, as '50' and as '60'");
  expect_user_error(cli::run("sample " + toy.dir.path("p.toml") + " --pipeline " + cli::source("pipelines/oracle_mixture.toml") +
                             " -q -n 2" + out),
                    "--pipeline is given twice");
  for (const char* f : {"s.npy", "a.npy", "b.npy"}) EXPECT_FALSE(std::filesystem::exists(toy.dir.path(f))) << f;
  // the same value twice is one value
  auto same = cli::run(with + "-n 2 -n 2 --sampler ode" + out);
  EXPECT_EQ(same.status, 0) << same.out;
}

TEST(UserMistakes, AFlagOrKeyThatCannotTakeEffectIsRefused) {
  ToyRun toy;
  namespace fs = std::filesystem;
  const std::string oracle = cli::source("pipelines/oracle_mixture.toml"), data = toy.dir.path("x.npy");
  scoregen::engine::save_npy(at::zeros({4, 2}), data);
  const std::string with = " --checkpoint " + toy.ckpt + " -q ";
  auto out = [&](const char* f) { return " --out " + toy.dir.path(f); };
  // picture flags where no picture of images is drawn
  expect_user_error(cli::run("sample" + with + "-n 2 --scale 2" + out("a.npy")),
                    "--scale shape(s) pictures of images; " + toy.dir.path("a.npy") + " is written as an array (.npy)");
  expect_user_error(cli::run("sample " + oracle + " -q -n 2 --grid off" + out("a.png")), "drawn as a scatter plot");
  // a timeout for peers in one process; a seed where nothing is drawn
  expect_user_error(cli::run("sample " + oracle + " -q -n 2 --dist-timeout 5" + out("b.npy")), "--dist-timeout: this is one process");
  expect_user_error(cli::run("export --checkpoint " + toy.ckpt + " --seed 3" + out("e.pt")), "--seed cannot take effect");
  // probes the exact divergence does not draw; more examples than the data holds; a suffix that is not what is written
  expect_user_error(cli::run("nll" + with + "--divergence exact --set nll.n_probes=3 --data " + data + out("n.csv")),
                    "the exact divergence draws no probes");
  expect_user_error(cli::run("nll" + with + "--num 8 --data " + data + out("n.csv")),
                    "8 examples were asked for, and " + data + " holds 4");
  expect_user_error(cli::run("nll" + with + "--data " + data + out("n.npy")), "name it .csv");
  expect_user_error(cli::run("export --checkpoint " + toy.ckpt + " --torchscript" + out("e.npy")), "name it .pt");
  // an empty output; --init on a run that resumes
  expect_user_error(cli::run("sample" + with + "-n 2 --out ''"), "--out is given an empty value");
  expect_user_error(cli::run("train " + toy.dir.path("p.toml") + " -q --init " + toy.ckpt + " --out " + toy.dir.path("run")),
                    "has a checkpoint to resume from, and --init starts new runs only");
  for (const char* f : {"a.npy", "a.png", "b.npy", "e.pt", "n.csv", "n.npy", "e.npy"})
    EXPECT_FALSE(fs::exists(toy.dir.path(f))) << f;
}

TEST(UserMistakes, SettingsThatWouldRunOnWrongTermsAreRefused) {
  cli::TempDir dir;
  const std::string oracle = cli::source("pipelines/oracle_mixture.toml"), out = " --out " + dir.path("x.npy");
  // a process that is not rank 0 of a world of one; a CPU device with an index
  expect_user_error(cli::run("sample " + oracle + " -q -n 2" + out, "WORLD_SIZE=1 RANK=1"),
                    "RANK=1 with WORLD_SIZE 1: the one process is rank 0");
  expect_user_error(cli::run("sample " + oracle + " -q -n 2 --device cpu:3" + out), "the CPU has no numbered devices");
  // the score map at t = 0, where the data's own score is unbounded
  expect_user_error(cli::run("score-map " + oracle + " -q --time 0 --out " + dir.path("m.png")), "--time 0: must be in (0,");
  EXPECT_FALSE(std::filesystem::exists(dir.path("x.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir.path("m.png")));
}

TEST(UserMistakes, WrongDataOrSettingsAreRefusedNotUsed) {
  ToyRun toy;
  namespace fs = std::filesystem;
  const std::string with = " --checkpoint " + toy.ckpt + " -q ", out = " --out " + toy.dir.path("x.npy");
  // the checkpoint's noise schedule is as much the truth as its network; pc's --steps (its [sde] N) stays free
  expect_user_error(cli::run("sample" + with + "-n 2 --set sde.beta_max=5" + out),
                    "[sde] beta_max = 5.0, but " + toy.ckpt + " was trained with beta_max = 20.0");
  auto steps = cli::run("sample" + with + "-n 2 --sampler pc --steps 40" + out);
  EXPECT_EQ(steps.status, 0) << steps.out;
  fs::remove(toy.dir.path("x.npy"));
  // the same number of values in another arrangement is not an example of the model
  const std::string column = toy.dir.path("column.npy");
  scoregen::engine::save_npy(at::zeros({8, 2, 1}), column);
  expect_user_error(cli::run("encode" + with + "--data " + column + out), "shape [8, 2, 1] does not fit the model's [N, 2]");
  // 0..255 pixels given as floats to a [-1, 1] image model
  const std::string vp = cli::source("share/models/fashion_mnist_vp.pt"), pixels = toy.dir.path("pixels.npy");
  scoregen::engine::save_npy(at::arange(784, at::kFloat).remainder(256).reshape({1, 28, 28}), pixels);
  expect_user_error(cli::run("inpaint --checkpoint " + vp + " -q --image " + pixels + " --mask center --out " +
                             toy.dir.path("c.npy")),
                    "values in [0, 255], outside the model's data range [-1, 1]");
  EXPECT_FALSE(fs::exists(toy.dir.path("x.npy")));
  EXPECT_FALSE(fs::exists(toy.dir.path("c.npy")));
}

TEST(UserMistakes, EightBitArraysAndZeroOneMasksReadAsTheyAre) {
  // uint8 pixels are mapped as a PNG's are; a PNG mask of 0 and 1 (a 0/1 array saved as an image) is a mask
  cli::TempDir dir;
  const std::string vp = cli::source("share/models/fashion_mnist_vp.pt"), pixels = dir.path("pixels.npy"),
                    mask = dir.path("mask.png"), out = dir.path("c.npy");
  at::Tensor u8 = at::arange(784, at::kLong).remainder(256).to(at::kByte).reshape({28, 28});
  scoregen::engine::save_npy(u8, pixels);
  cv::Mat m(28, 28, CV_8UC1, cv::Scalar(1));
  m(cv::Rect(7, 7, 14, 14)).setTo(0);
  ASSERT_TRUE(cv::imwrite(mask, m));
  auto r = cli::run("inpaint --checkpoint " + vp + " -q --image " + pixels + " --mask " + mask +
                    " --sampler dpm-solver++ --steps 8 -n 1 --out " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  at::Tensor done = scoregen::engine::load_npy(out).reshape({28, 28});
  at::Tensor kept = at::from_blob(m.data, {28, 28}, at::kByte).to(at::kBool);
  // kept pixels are the input's, in the data range: 2 u / 255 - 1
  at::Tensor expected = u8.to(at::kFloat) * (2.0 / 255.0) - 1.0;
  EXPECT_LT((done - expected).masked_select(kept).abs().max().item<double>(), 1e-5);
  EXPECT_GT((done - expected).masked_select(~kept).abs().max().item<double>(), 1e-3);
}

TEST(UserMistakes, PipesAndDevicesAreRefusedBeforeOpening) {
  // A FIFO would block in open() and a device never ends: both are refused from their kind, within the timeout.
  cli::TempDir dir;
  const std::string fifo = dir.path("fifo"), out = " --out " + dir.path("x.npy");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string kind = "not a regular file (a pipe, device or socket)";
  expect_user_error(cli::run("sample --checkpoint " + fifo + " -q -n 2" + out, "", "timeout 20"), fifo + ": " + kind);
  expect_user_error(cli::run("sample " + fifo + " -q -n 2" + out, "", "timeout 20"), fifo + ": " + kind);
  expect_user_error(cli::run("sample --checkpoint /dev/zero -q -n 2" + out, "", "timeout 20"), "/dev/zero: " + kind);
  EXPECT_FALSE(std::filesystem::exists(dir.path("x.npy")));
}

TEST(UserMistakes, MessagesNameWhatTheUserTyped) {
  cli::TempDir dir;
  const std::string oracle = cli::source("pipelines/oracle_mixture.toml"), out = " --out " + dir.path("x.npy");
  // a dedicated flag's bad value is named as the flag, not as a --set the user never typed
  expect_user_error(cli::run("sample " + oracle + " -q -n 2 --threads -1" + out), "--threads -1: top level threads");
  expect_user_error(cli::run("sample " + oracle + " -q -n 2 --sampler bogus" + out), "--sampler bogus: [sampler] unknown");
  // with --json the error is one JSON object on stdout too
  auto json = cli::stdout_of("sample " + oracle + " -q -n 2 --threads -1 --json" + out);
  EXPECT_EQ(json.status, 2);
  EXPECT_EQ(json.out, "{\"error\": \"--threads -1: top level threads: must be >= 0 (got -1)\", \"status\": 2}\n");
  // an invalid value in the file is named even where a flag overrides it
  std::ifstream in(oracle);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("\nnum = 2000\n", text.find("[sample]"));
  ASSERT_NE(at, std::string::npos);
  const int num_line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at) + 1, '\n')) + 1;
  const std::string bad = dir.file("bad.toml", text.substr(0, at) + "\nnum = 0\n" + text.substr(at + 12));
  expect_user_error(cli::run("sample " + bad + " -q -n 8" + out),
                    bad + ":" + std::to_string(num_line) +
                        ":7: [sample] num: must be >= 1 (got 0) (the file's value, which --num 8 overrides");
  // rerun's errors name the record and its line, not a temporary copy
  auto made = cli::run("sample " + oracle + " -q -n 2" + out);
  ASSERT_EQ(made.status, 0) << made.out;
  const std::string record = dir.path("x.npy.toml");
  std::ifstream rin(record);
  std::string rec((std::istreambuf_iterator<char>(rin)), std::istreambuf_iterator<char>());
  const auto steps = rec.find("\nsteps = ");
  ASSERT_NE(steps, std::string::npos);
  const int line = static_cast<int>(std::count(rec.begin(), rec.begin() + static_cast<std::ptrdiff_t>(steps) + 1, '\n')) + 1;
  rec.replace(steps + 9, rec.find('\n', steps + 1) - steps - 9, "-3");
  std::ofstream(record) << rec;
  auto rerun = cli::run("rerun " + record + " -q");
  expect_user_error(rerun, record + ":" + std::to_string(line) + ":9: [sampler] steps");
  EXPECT_EQ(rerun.out.find("scoregen-rerun-"), std::string::npos) << rerun.out;
}

TEST(UserMistakes, ADeletedWorkingDirectoryIsNamed) {
#if TORCH_VERSION_MAJOR >= 2
  // PyPI's LibTorch carries oneMKL, whose loader stops the process before main() where the working directory is
  // gone ("Intel oneMKL FATAL ERROR: Cannot load .../libtorch_cpu.so"): scoregen never runs to say anything.
  GTEST_SKIP() << "oneMKL's loader in PyPI's LibTorch ends the process before scoregen starts";
#endif
  cli::TempDir dir;
  const std::string gone = dir.path("gone");
  auto r = cli::shell("mkdir " + gone + " && cd " + gone + " && rmdir " + gone + " && env -u SCOREGEN_PLUGIN_PATH " +
                      cli::binary() + " sample " + cli::source("pipelines/oracle_mixture.toml") + " -q -n 2 --out x.npy 2>&1");
  expect_user_error(r, "the working directory cannot be read");
  EXPECT_EQ(r.out.find("filesystem error"), std::string::npos) << r.out;
}

TEST(UserMistakes, FailedRunsAndKilledWritesLeaveNothingBehind) {
  namespace fs = std::filesystem;
  ToyRun toy;
  // a train that fails before its first checkpoint removes the folder it made (.lock and pipeline.toml with it)
  const std::string vp = cli::source("share/models/fashion_mnist_vp.pt"), fresh = toy.dir.path("fresh");
  auto r = cli::run("train " + toy.dir.path("p.toml") + " -q --init " + vp + " --out " + fresh);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_FALSE(fs::exists(fresh));
  // into a folder that was there: only what it added goes
  fs::create_directories(toy.dir.path("mine"));
  std::ofstream(toy.dir.path("mine/notes.txt")) << "kept";
  r = cli::run("train " + toy.dir.path("p.toml") + " -q --init " + vp + " --out " + toy.dir.path("mine"));
  EXPECT_EQ(r.status, 2) << r.out;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(toy.dir.path("mine"))) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"notes.txt"});
  // a temporary of a process killed mid-write is removed by the next write of that output; a live one is not
  pid_t dead = 4194000;
  while (::kill(dead, 0) == 0 || errno != ESRCH) ++dead;
  const std::string stale = toy.dir.path("s.npy.tmp-" + std::to_string(dead)),
                    live = toy.dir.path("s.npy.tmp-" + std::to_string(::getpid()));
  std::ofstream(stale) << "half";
  std::ofstream(live) << "busy";
  r = cli::run("sample --checkpoint " + toy.ckpt + " -q -n 2 --out " + toy.dir.path("s.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
}

TEST(UserMistakes, TheDefaultThreadsFollowTheWork) {
  // threads = 0: one thread for 2-D examples (a second only adds hand-offs), the cores for images; an explicit
  // count is kept. The record says which.
  cli::TempDir dir;
  auto threads_of = [&](const std::string& args, const std::string& out) {
    auto r = cli::run(args + " -q --out " + dir.path(out));
    EXPECT_EQ(r.status, 0) << r.out;
    std::ifstream in(dir.path(out + ".toml"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\nthreads = ", text.find("[record]"));
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + 11));
  };
  const std::string oracle = "sample " + cli::source("pipelines/oracle_mixture.toml") + " -n 4";
  EXPECT_EQ(threads_of(oracle, "a.npy"), 1);
  EXPECT_EQ(threads_of(oracle + " --threads 2", "b.npy"), 2);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(threads_of("sample " + cli::source("pipelines/fashion_mnist_vp.toml") + " --checkpoint " +
                           cli::source("share/models/fashion_mnist_vp.pt") + " -n 1 --sampler dpm-solver++ --steps 2",
                       "c.npy"),
            std::max(1, cores));
}

TEST(UserMistakes, APipelineWithoutASamplerSaysThereIsNoDefault) {
  cli::TempDir dir;
  const std::string pipe = dir.file("p.toml", "[sde]\nplugin = \"vp\"\n[network]\nplugin = \"gaussian-mixture\"\n"
                                              "weights = [1.0]\nmeans = [[0.0, 0.0]]\nstds = [1.0]\n");
  expect_user_error(cli::run("sample " + pipe + " -q --num 4 --out " + dir.path("a.npy")),
                    "no [sampler] section choosing a plugin (needed by scoregen sample); there is no default sampler");
  EXPECT_FALSE(std::filesystem::exists(dir.path("a.npy")));
  EXPECT_EQ(cli::run("sample " + pipe + " -q --num 4 --sampler dpm-solver++ --out " + dir.path("b.npy")).status, 0);
}

TEST(UserMistakes, ASecondSweepOfMistakes) {
  ToyRun toy;
  const std::string& ck = toy.ckpt;
  const std::string py = "/usr/bin/python3 -c ";
  // a checkpoint whose tensor data was cut short, its zip checksums made anew: refused, not read past its end
  ASSERT_EQ(cli::shell(py + "\"import zipfile; zi = zipfile.ZipFile('" + ck + "'); zo = zipfile.ZipFile('" +
                       toy.dir.path("cut.pt") + "', 'w'); [zo.writestr(i, (lambda d: d[:len(d) // 2] if "
                       "i.filename.endswith('data/0') else d)(zi.read(i.filename))) for i in zi.infolist()]; zo.close()\"")
                .status, 0);
  expect_user_error(cli::run("sample --checkpoint " + toy.dir.path("cut.pt") + " -q --num 4 --out " + toy.dir.path("a.npy")),
                    "cut.pt: damaged: its tensor data 'data/0' holds ");
  // a flag's text is the value, quotes and backslashes included
  const std::string odd = toy.dir.path("a\\\"b.npy");  // the file name a\"b.npy
  ASSERT_EQ(cli::run("sample --checkpoint " + ck + " -q --num 4 --out '" + odd + "'").status, 0);
  EXPECT_TRUE(std::filesystem::exists(toy.dir.path("a\\\"b.npy")));
  // one value per setting: --steps and a --set of the key it maps to
  expect_user_error(cli::run("sample " + cli::source("pipelines/oracle_mixture.toml") +
                             " -q --num 4 --steps 25 --set sde.N=30 --out " + toy.dir.path("b.npy")),
                    "--steps 25 and --set sde.N=30 both set [sde] N; give one");
  // an override is one key on one line
  expect_user_error(cli::run("sample --checkpoint " + ck + " -q --num 4 --set \"$(printf 'seed=5\\n[foo]\\nx=1')\" --out " +
                             toy.dir.path("c.npy")),
                    "one section.key=value on one line");
  // the record's place taken by a folder: refused before the output is written
  std::filesystem::create_directories(toy.dir.path("d.npy.toml"));
  expect_user_error(cli::run("sample --checkpoint " + ck + " -q --num 4 --out " + toy.dir.path("d.npy")), "is a folder");
  EXPECT_FALSE(std::filesystem::exists(toy.dir.path("d.npy")));
  // flags and names that cannot take effect
  expect_user_error(cli::run("sample --checkpoint " + ck + " -q --num 4 --overlay --out " + toy.dir.path("e.npy")),
                    "--overlay draws the data beneath a scatter plot");
  expect_user_error(cli::run("eval " + cli::source("pipelines/ncsn_mode_weights.toml") + " -q --out " + toy.dir.path("r.png")),
                    "the report is text");
  // arrays scoregen cannot read as such: complex numbers, a header that is not NumPy's
  ASSERT_EQ(cli::shell(py + "\"import torch; torch.save(torch.zeros(2, 2, dtype=torch.complex64), '" + toy.dir.path("z.pt") +
                       "')\"").status, 0);
  expect_user_error(cli::run("decode --checkpoint " + ck + " -q --latent " + toy.dir.path("z.pt") + " --out " +
                             toy.dir.path("f.npy")),
                    "holds complex numbers");
  {
    std::string header = "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2), }";
    header += std::string(117 - header.size(), ' ') + "\n";
    std::ofstream(toy.dir.path("m.npy"), std::ios::binary)
        << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size()) << '\0' << header << std::string(16, '\0');
  }
  expect_user_error(cli::run("decode --checkpoint " + ck + " -q --latent " + toy.dir.path("m.npy") + " --out " +
                             toy.dir.path("g.npy")),
                    "fortran_order is 'Maybe'");
  // a value the flag's type cannot hold names the flag; a path with a line break stays one line
  expect_user_error(cli::run("sample --checkpoint " + ck + " -q --num abc"), "--num abc: not a value of that flag's type");
  auto nl = cli::run("decode --checkpoint " + ck + " -q --latent \"$(printf '%s\\ny.npy' " + toy.dir.path("x") + ")\" --out " +
                     toy.dir.path("h.npy"));
  expect_user_error(nl, "x\\ny.npy");
  EXPECT_EQ(std::count(nl.out.begin(), nl.out.end(), '\n'), 1) << nl.out;
  // a rerun given the output instead of its record, and a run of points beyond any memory
  expect_user_error(cli::run("rerun '" + toy.dir.path("a\\\"b.npy") + "'"), "an output; its record is ");
  ASSERT_EQ(cli::run("encode --checkpoint " + ck + " -q --num 2 --out " + toy.dir.path("lat.npy")).status, 0);
  expect_user_error(cli::run("interpolate --checkpoint " + ck + " -q --latent " + toy.dir.path("lat.npy") +
                             " --points 100000000000 --out " + toy.dir.path("p.npy"), "", "timeout 60"),
                    "--points: the path's points");
  expect_user_error(cli::run("encode --checkpoint " + ck + " -q --data " + toy.dir.path("lat.npy") + " --num 5 --out " +
                             toy.dir.path("q.npy")),
                    "--num 5: " + toy.dir.path("lat.npy") + " holds 2 examples");
  // no command at all: the usage, then the error as the last line
  auto none = cli::run("");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.out.find("scoregen: error: no command given"), std::string::npos) << none.out;
  for (const char* left : {"a.npy", "b.npy", "c.npy", "e.npy", "f.npy", "g.npy", "h.npy", "p.npy", "q.npy"})
    EXPECT_FALSE(std::filesystem::exists(toy.dir.path(left))) << left;
}
