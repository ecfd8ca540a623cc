// One training process per run folder: an advisory lock (flock) on RUN/.lock, held for the process's lifetime and
// released by the kernel however it ends (kill -9 included).
#pragma once

#include <string>

namespace scoregen::engine {

class RunLock {
 public:
  // Takes the lock of `run_dir` or throws Error naming the process that holds it.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace scoregen::engine
