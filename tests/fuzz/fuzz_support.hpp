// What every fuzz target shares: the input as a file (the readers take paths) and the verdict on an input — a
// scoregen::Error is the expected outcome of malformed input; any other exception (a c10::Error, std::out_of_range,
// a cv::Exception, ...) reaches the user as an "internal error", so it aborts the run as a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include "scoregen/error.hpp"

namespace scoregen::fuzz {

// The fuzz input written to this process's temporary file ending in `extension` (removed at exit); its path.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& extension) {
  struct Temporary {
    std::string path;
    ~Temporary() { std::remove(path.c_str()); }
  };
  static Temporary file{"/tmp/scoregen-fuzz-" + std::to_string(getpid()) + extension};
  std::ofstream out(file.path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", file.path.c_str());
    std::abort();
  }
  return file.path;
}

// Runs `read` on one input: returning or throwing scoregen::Error is clean, anything else aborts.
template <class Read>
void expect_clean(Read&& read) {
  try {
    read();
  } catch (const scoregen::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: a non-scoregen exception escaped the reader: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: an exception of unknown type escaped the reader\n");
    std::abort();
  }
}

}  // namespace scoregen::fuzz
