// Runs the real scoregen binary and captures its output and exit status.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <ATen/ATen.h>

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
inline Run run(const std::string& args, const std::string& env = "", const std::string& wrapper = "") {
  std::string cmd = "env -u SCOREGEN_PLUGIN_PATH " + env + " " + wrapper + " " + binary() + " " + args + " 2>&1";
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
