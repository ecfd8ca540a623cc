// A one-line progress bar on a terminal, plain periodic lines otherwise (stderr).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "scoregen/api.hpp"

namespace scoregen {

class SCOREGEN_API Progress {
 public:
  Progress(std::string label, std::int64_t total, bool enabled = true);
  ~Progress();
  // Advance to `done` of `total`; `extra` is shown after the rate (e.g. "loss 0.123").
  void update(std::int64_t done, const std::string& extra = "");
  void finish();
  double elapsed() const;

 private:
  std::string label_;
  std::int64_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

// Set by the CLI's SIGINT handler; long loops poll it and stop cleanly.
SCOREGEN_API bool interrupt_requested();
SCOREGEN_API void request_interrupt();

}  // namespace scoregen
