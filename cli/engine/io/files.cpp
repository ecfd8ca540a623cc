// Whole-file reads and atomic writes.
#include "engine/io/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

std::string extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

namespace {

// Temporaries PATH.tmp-PID that a process killed mid-write (kill -9, power loss) left beside PATH: removed when the
// next write of PATH starts. A PID that still runs is left alone.
void remove_stale_temporaries(const fs::path& target) {
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& data) {
  fs::path target(path);
  if (target.has_parent_path() && !fs::is_directory(target.parent_path()))
    throw Error(fmt::format("{}: the folder {} does not exist", path, target.parent_path().string()));
  if (fs::is_directory(target)) throw Error(fmt::format("{}: is a folder, expected a file name", path));
  remove_stale_temporaries(target);
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  // The whole content reaches the disk before the rename, so a full disk or a crash leaves the previous file whole.
  std::size_t done = 0;
  int err = 0;
  while (done < data.size() && err == 0) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0 && errno != EINVAL) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw Error(fmt::format("{}: write failed: {}", path, std::strerror(err)));
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
}

void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot append: {}", path, std::strerror(errno)));
  const std::string text = line + "\n";
  const ssize_t n = ::write(fd, text.data(), text.size());  // one write: a line is whole or absent
  const int err = n < 0 ? errno : (static_cast<std::size_t>(n) != text.size() ? ENOSPC : 0);
  ::close(fd);
  if (err != 0) throw Error(fmt::format("{}: cannot append: {}", path, std::strerror(err)));
}

void make_output_folder(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw Error(fmt::format("{} {}: exists and is not a folder", what, path));
  fs::create_directories(path, ec);
  if (ec) throw Error(fmt::format("{} {}: cannot create the folder: {}", what, path, ec.message()));
  if (::access(path.c_str(), W_OK | X_OK) != 0)
    throw Error(fmt::format("{} {}: cannot write into the folder: {}", what, path, std::strerror(errno)));
}

std::string read_file(const std::string& path) {
  // Decided from the file's kind before opening: a FIFO would block in open(), and a device (/dev/zero) never ends.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(fmt::format("{}: cannot open file: {}", path, std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw Error(fmt::format("{}: is a directory, expected a file", path));
  if (!S_ISREG(st.st_mode))
    throw Error(fmt::format("{}: not a regular file (a pipe, device or socket); give a file", path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("{}: cannot open file: {}", path, std::strerror(errno)));
  // The read is bounded by the size the file had when it was opened.
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  int err = 0;
  while (done < data.size() && err == 0) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n == 0) break;  // shortened while being read
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (err != 0) throw Error(fmt::format("{}: cannot read: {}", path, std::strerror(err)));
  data.resize(done);
  return data;
}

SilencedStderr::SilencedStderr() {
  std::fflush(stderr);
  saved_ = ::dup(STDERR_FILENO);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved_ >= 0 && null >= 0) ::dup2(null, STDERR_FILENO);
  if (null >= 0) ::close(null);
}

void SilencedStderr::restore() {
  if (saved_ < 0) return;
  std::fflush(stderr);
  ::dup2(saved_, STDERR_FILENO);
  ::close(saved_);
  saved_ = -1;
}

}  // namespace scoregen::engine
