// Runs the real scoregen binary and captures its output and exit status.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <regex>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "scoregen_build_config.hpp"

namespace cli {

struct Run {
  int status;
  std::string out;  // stdout and stderr together
};

inline std::string binary() { return std::string(SCOREGEN_BUILD_DIR) + "/bin/scoregen"; }
inline std::string fixture(const std::string& name) { return std::string(SCOREGEN_BUILD_DIR) + "/fixtures/" + name; }
inline std::string source(const std::string& rel) { return std::string(SCOREGEN_SOURCE_DIR) + "/" + rel; }

// `env` is prepended as VAR=value assignments; SCOREGEN_PLUGIN_PATH is cleared unless env sets it.
// `wrapper` runs before the binary (e.g. "timeout -s INT 2").
inline Run shell(const std::string& cmd);
inline Run run(const std::string& args, const std::string& env = "", const std::string& wrapper = "") {
  return shell("env -u SCOREGEN_PLUGIN_PATH " + env + " " + wrapper + " " + binary() + " " + args + " 2>&1");
}

// The binary's standard output alone (stderr discarded): what a script reading --json sees.
inline Run stdout_of(const std::string& args) {
  return shell("env -u SCOREGEN_PLUGIN_PATH " + binary() + " " + args + " 2>/dev/null");
}

// Any shell command line, its output (stdout; add 2>&1 for stderr) and exit status.
inline Run shell(const std::string& cmd) {
  FILE* pipe = ::popen(cmd.c_str(), "r");
  Run r{-1, ""};
  if (!pipe) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int st = ::pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

// An exit-2 error in one line that names `what`, and never LibTorch's own text.
inline void expect_user_error(const Run& r, const std::string& what) {
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("scoregen: error:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(what), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("LibTorch"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
}

// The number a --json report gives `key` (a failed expectation and NaN when it has none).
inline double json_number(const std::string& out, const std::string& key) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(out, m, std::regex("\"" + key + "\": ([-0-9.eE+]+)"))) << key << "\n" << out;
  return m.size() > 1 ? std::stod(m[1]) : std::nan("");
}

// The decoded pixels of a PNG (its text chunks, such as the record naming the output, left out); "" if unreadable.
inline std::string png_pixels(const std::string& path) {
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) return "";
  m = m.clone();  // continuous
  return std::to_string(m.rows) + "x" + std::to_string(m.cols) + "x" + std::to_string(m.channels()) + ":" +
         std::string(reinterpret_cast<const char*>(m.data), m.total() * m.elemSize());
}

// A small VP pipeline on the moons data with an MLP (seconds to train): `seed`, the SDE's N, the MLP's width,
// training steps and batch, and `tail` appended (more [train] keys first, then tables such as [sampler]).
struct MoonsMlp {
  int seed = 3, N = 100, width = 32, steps = 40, batch_size = 64;
  std::string tail;
  std::string text() const {
    return "seed = " + std::to_string(seed) + "\n[sde]\nplugin = \"vp\"\nN = " + std::to_string(N) +
           "\n[data]\nplugin = \"moons\"\n[network]\nplugin = \"mlp\"\nwidth = " + std::to_string(width) +
           "\ndepth = 2\n[train]\nsteps = " + std::to_string(steps) + "\nbatch_size = " + std::to_string(batch_size) +
           "\n" + tail;
  }
};

// A fresh temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "scoregen-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  std::string path(const std::string& name) const { return path_ + "/" + name; }
  std::size_t count() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path_)) ++n;
    return n;
  }

 private:
  std::string path_;
};

}  // namespace cli
