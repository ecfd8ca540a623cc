// Files: whole-file reads and atomic writes (a temporary name beside the target, then a rename).
#pragma once

#include <string>

namespace scoregen::engine {

// Writes `data` to a temporary name beside `path`, syncs it and renames it: no partial files, and on failure (a full
// disk) the previous file survives and no temporary remains.
void write_file_atomic(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);
// Appends one line (a newline added) in one write; a failure (a full disk) is an Error.
void append_line(const std::string& path, const std::string& line);
// Creates the folder `path` (and its parents) and checks that it can be written into; `what` names it in the error
// ("--out").
void make_output_folder(const std::string& path, const std::string& what);
// The lower-case extension of a path, with its dot (".png").
std::string extension(const std::string& path);

// Standard error sent to /dev/null while this lives, then restored (also early, by restore()): for a library's own
// lines (libpng's "libpng error: Read Error", c10d's glog) around a call whose failure scoregen words itself.
class SilencedStderr {
 public:
  SilencedStderr();
  ~SilencedStderr() { restore(); }
  SilencedStderr(const SilencedStderr&) = delete;
  SilencedStderr& operator=(const SilencedStderr&) = delete;
  void restore();

 private:
  int saved_ = -1;
};

}  // namespace scoregen::engine
