// Progress: a bar redrawn on a terminal; in logs (not a terminal) one line every 5% (every 10 s when the total is unknown).
#include "engine/io/progress_bar.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace scoregen::engine {

namespace {
std::string clock_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{:02}:{:02}", s / 60, s % 60);
}
}  // namespace

ProgressBar::ProgressBar(std::string label, std::int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0) {
  last_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

void ProgressBar::update(std::int64_t done, const std::string& extra) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  const bool last_step = total_ > 0 && done >= total_;
  if (tty_) {
    if (since_last < 0.1 && !last_step) return;
  } else if (total_ > 0) {
    const std::int64_t bucket = done * 20 / total_;  // 5% steps
    if (bucket == last_bucket_ && !last_step) return;
    if (last_step && printed_last_) return;
    last_bucket_ = bucket, printed_last_ = last_step;
  } else if (since_last < 10.0) {
    return;
  }
  last_ = now;
  const double el = elapsed();
  const double rate = el > 0 ? static_cast<double>(done) / el : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : -1.0;
  std::string speed = rate >= 1.0 || rate == 0.0 ? fmt::format("{:.1f} it/s", rate) : fmt::format("{:.2f} s/it", 1.0 / rate);
  std::string tail = extra.empty() ? std::string() : "  " + extra;
  if (tty_) {
    const int width = 24;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld  %s  ETA %s%s\033[K", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), speed.c_str(), clock_text(eta).c_str(),
                 tail.c_str());
  } else {
    std::fprintf(stderr, "%s %lld/%lld  %s  ETA %s%s\n", label_.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total_), speed.c_str(), clock_text(eta).c_str(), tail.c_str());
  }
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_ && tty_) std::fprintf(stderr, "\n");
}

}  // namespace scoregen::engine
