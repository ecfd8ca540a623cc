// The host's Progress: a one-line bar redrawn on a terminal, plain periodic lines otherwise (stderr); and a
// stopwatch for the timings commands report.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "scoregen/progress.hpp"

namespace scoregen::engine {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

class ProgressBar : public Progress {
 public:
  // total 0: unknown (steps are counted without an ETA). enabled false: silent (--quiet).
  ProgressBar(std::string label, std::int64_t total, bool enabled = true);
  ~ProgressBar() override;
  using Progress::update;
  void update(std::int64_t done, const std::string& extra) override;
  void finish();
  double elapsed() const { return clock_.seconds(); }

 private:
  std::string label_;
  std::int64_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  Stopwatch clock_;
  std::chrono::steady_clock::time_point last_;
  std::int64_t last_bucket_ = -1;  // the last 5% step printed (not a terminal)
  bool printed_last_ = false;
};

}  // namespace scoregen::engine
