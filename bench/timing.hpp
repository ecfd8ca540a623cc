// The median wall time of a call over `reps` runs, after one warm-up run (what the benchmarks report), and their
// positional count arguments.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace bench {

inline double median_ms(int reps, const std::function<void()>& f) {
  f();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace bench

namespace bench {

// The positional count argv[i] (threads, runs), `fallback` when absent; anything but a positive integer ends the
// program with usage text and exit status 2.
inline int count_arg(int argc, char** argv, int i, int fallback, const char* usage) {
  if (argc <= i) return fallback;
  char* end = nullptr;
  const long v = std::strtol(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < 1 || v > 100000) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  return static_cast<int>(v);
}

// Two calls timed alternately `pairs` times (one warm-up each time): the median time of each and the median of the
// per-pair ratios a / b, so a noisy machine slows both alike.
struct Paired {
  double a_ms, b_ms, ratio;
};
inline Paired paired(int pairs, const std::function<void()>& a, const std::function<void()>& b) {
  std::vector<double> a_ms, b_ms, ratio;
  for (int i = 0; i < pairs; ++i) {
    a_ms.push_back(median_ms(1, a));
    b_ms.push_back(median_ms(1, b));
    ratio.push_back(a_ms.back() / b_ms.back());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {median(a_ms), median(b_ms), median(ratio)};
}

}  // namespace bench
