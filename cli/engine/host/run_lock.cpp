// The run folder's lock: flock(2) on RUN/.lock, holding the owner's pid for the error message.
#include "engine/host/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace scoregen::engine {

RunLock::RunLock(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot open the run's lock: {}", path, std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char owner[32] = {0};
    const ssize_t n = ::pread(fd_, owner, sizeof owner - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw Error(fmt::format("{} is being trained by another process (pid {}); wait for it, stop it, or train into "
                              "another run folder", run_dir, n > 0 ? std::string(owner, static_cast<std::size_t>(n)) : "?"));
    throw Error(fmt::format("{}: cannot lock: {}", path, std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid());
  // without the pid the lock still holds; only a second process's message loses it
  [[maybe_unused]] const bool recorded = ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) >= 0;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace scoregen::engine
