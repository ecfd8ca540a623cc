// Files: whole-file reads and atomic writes (a temporary name beside the target, then a rename).
#pragma once

#include <string>

namespace scoregen::engine {

// Writes `data` to a temporary name beside `path` and renames it (no partial files).
void write_file_atomic(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);
// The lower-case extension of a path, with its dot (".png").
std::string extension(const std::string& path);

}  // namespace scoregen::engine
