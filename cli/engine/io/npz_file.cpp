// .npz files through the zip archive and .npy readers and writers.
#include "engine/io/npz_file.hpp"

#include <optional>

#include <fmt/format.h>

#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "engine/io/zip_archive.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {
// The largest member inflated (a 2048 x 2048 float64 covariance is 32 MiB): a few bytes may state any size.
constexpr std::uint64_t kLargestMember = std::uint64_t{1} << 31;
}  // namespace

std::map<std::string, at::Tensor> load_npz(const std::string& path) {
  const std::string d = read_file(path);
  const std::optional<std::vector<ZipMember>> members = zip_members(d);
  if (!members) throw Error(fmt::format("{}: not an .npz file (a zip archive of .npy arrays, as numpy.savez writes)", path));
  std::map<std::string, at::Tensor> arrays;
  for (const ZipMember& m : *members) {
    const std::string where = fmt::format("{} (member {})", path, m.name);
    if (m.name.size() < 5 || m.name.compare(m.name.size() - 4, 4, ".npy") != 0)
      throw Error(fmt::format("{}: not a .npy array", where));
    const std::optional<std::string> bytes = zip_member_bytes(d, m, kLargestMember);
    if (!bytes) throw Error(fmt::format("{}: damaged (its bytes are not what the archive records)", where));
    arrays[m.name.substr(0, m.name.size() - 4)] = parse_npy(*bytes, where);
  }
  return arrays;
}

void save_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays) {
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& [name, tensor] : arrays) members.emplace_back(name + ".npy", npy_bytes(tensor));
  write_file_atomic(path, zip_of_stored(members));
}

}  // namespace scoregen::engine
