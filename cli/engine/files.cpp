// Whole-file reads and atomic writes.
#include "engine/files.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

std::string extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

void write_file_atomic(const std::string& path, const std::string& data) {
  fs::path target(path);
  if (target.has_parent_path() && !fs::is_directory(target.parent_path()))
    throw Error(fmt::format("{}: the folder {} does not exist", path, target.parent_path().string()));
  std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("{}: cannot write", path));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("{}: write failed", path));
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
}

std::string read_file(const std::string& path) {
  if (fs::is_directory(path)) throw Error(fmt::format("{}: is a directory, expected a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open file", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace scoregen::engine
