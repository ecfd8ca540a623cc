// What of a checkpoint file reaches LibTorch's parsers: the zip members' CRC-32s, the member names and the
// TorchScript code that torch::serialize::OutputArchive writes for scoregen (docs/robustness.md, docs/hardening.md).
#include "engine/io/checkpoint_members.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <fmt/format.h>

#include "engine/io/pickle_storages.hpp"
#include "engine/io/zip_archive.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// The largest TorchScript code member a deflated member may inflate to.
constexpr std::uint64_t kLargestDeflated = 16u << 20;

}  // namespace

// Whether every member of the zip archive `d` (what torch::serialize writes) has the CRC-32 its central directory
// records, stored or deflated (LibTorch deflates some of its TorchScript code members). LibTorch checks none before
// it parses the archive's code, and corrupt code can crash that parser (SEGVs in torch::jit::ScriptTypeParser, found
// by checkpoint_loader_fuzz), so a checkpoint with any byte changed is refused before LibTorch reads it. The central
// directory is found as LibTorch's miniz finds it (the last end record with its 22 bytes, then a zip64 end record
// if one is located before it), and each member's sizes as miniz reads them (a 32-bit field of all ones is taken
// from the zip64 extra field). LibTorch allocates a member's stated size before it reads the member, so every size
// is bounded here: a stored member must lie inside the archive, a deflated one (only TorchScript code is) must
// inflate to at most kLargestDeflated bytes, and zip64 sizes are refused in an archive smaller than 4 GiB (a
// checkpoint states them only for a member that large: found by checkpoint_loader_fuzz, a 4 GiB allocation).
bool members_intact(const std::string& d) {
  const std::optional<std::vector<ZipMember>> members = zip_members(d);
  if (!members) return false;
  for (const ZipMember& m : *members)
    if ((m.method == 8 && m.size > kLargestDeflated) || !zip_member_intact(d, m)) return false;
  return true;
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Removes `prefix` from the front of `s` if it is there.
bool eat(std::string_view& s, std::string_view prefix) {
  if (!starts_with(s, prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Removes 1 to 9 decimal digits from the front of `s` into `n`.
bool eat_number(std::string_view& s, long& n) {
  std::size_t k = 0;
  n = 0;
  while (k < s.size() && k < 10 && s[k] >= '0' && s[k] <= '9') n = n * 10 + (s[k++] - '0');
  s.remove_prefix(k);
  return k > 0 && k < 10;
}

// The TorchScript class a code member defines: -1 for code/__torch__.py (the archive's top-level module),
// N for code/__torch__/___torch_mangle_N.py (each module inside it); none for any other name.
std::optional<long> code_member(std::string_view name) {
  if (name == "code/__torch__.py") return -1;
  long n = 0;
  if (eat(name, "code/__torch__/___torch_mangle_") && eat_number(name, n) && name == ".py") return n;
  return std::nullopt;
}

// Whether `name` (below the archive's folder) is a member torch::serialize::OutputArchive writes for a checkpoint:
// version, data.pkl, constants.pkl, data/N (tensors), and the TorchScript code of each module with its debug_pkl;
// LibTorch 2.x adds byteorder and .data/serialization_id (and .data/version).
bool scoregen_member(std::string_view name) {
  long n = 0;
  if (name == "version" || name == "data.pkl" || name == "constants.pkl") return true;
  if (name == "byteorder" || name == ".data/serialization_id" || name == ".data/version") return true;
  if (eat(name, "data/")) return eat_number(name, n) && name.empty();
  if (name.size() > 10 && name.substr(name.size() - 10) == ".debug_pkl") name.remove_suffix(10);
  return code_member(name).has_value();
}

// Removes an attribute name in double quotes (printable ASCII, no quote or backslash) from the front of `s`.
bool eat_quoted(std::string_view& s) {
  if (!eat(s, "\"")) return false;
  std::size_t k = 0;
  while (k < s.size() && s[k] >= 0x20 && s[k] < 0x7f && s[k] != '"' && s[k] != '\\') ++k;
  s.remove_prefix(k);
  return k > 0 && eat(s, "\"");
}

// Removes an identifier that is not a dunder name (those are the class body's special assignments) from `s`.
bool eat_identifier(std::string_view& s) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (s.empty() || !letter(s[0]) || starts_with(s, "__")) return false;
  std::size_t k = 1;
  while (k < s.size() && (letter(s[k]) || (s[k] >= '0' && s[k] <= '9'))) ++k;
  s.remove_prefix(k);
  return true;
}

// Removes the type of an attribute from the front of `s`: a value type, a container of them, or a module of this
// archive defined after the class `self` (OutputArchive creates each module's type before its children's, so the
// references never go back: no cycles).
bool eat_type(std::string_view& s, long self, int depth = 0) {
  if (depth > 4) return false;
  long n = 0;
  if (eat(s, "__torch__.___torch_mangle_")) return eat_number(s, n) && n > self && eat(s, ".Module");
  for (std::string_view generic : {"Tuple[", "List[", "Optional[", "Dict["}) {
    if (!eat(s, generic)) continue;
    int arguments = 0;
    do {
      if (!eat_type(s, self, depth + 1)) return false;
      ++arguments;
    } while (eat(s, ", "));
    if (!eat(s, "]")) return false;
    return generic == "Tuple[" || arguments == (generic == "Dict[" ? 2 : 1);
  }
  for (std::string_view value : {"Tensor", "int", "float", "bool", "str", "NoneType"})
    if (eat(s, value)) return true;
  return false;
}

// Whether `code` is the TorchScript that OutputArchive writes for the module class `self` (see code_member): a class
// `Module` whose body lists its parameters and buffers and declares each attribute's type, nothing else. A class
// body may hold more (constants, methods, hooks), and LibTorch's parser crashes on some of it (a constant without
// a type: SEGV in ScriptTypeParser::parseClassConstant), so anything else is refused before LibTorch parses it.
bool scoregen_code(std::string_view code, long self) {
  if (!eat(code, "class Module(Module):\n")) return false;
  for (std::string_view list : {"  __parameters__ = [", "  __buffers__ = ["}) {
    if (!eat(code, list)) return false;
    while (!eat(code, "]\n"))
      if (!eat_quoted(code) || !eat(code, ", ")) return false;
  }
  bool annotations = false;  // the line `__annotations__ = []` that precedes the attributes of other names
  while (!code.empty()) {
    if (!annotations && eat(code, "  __annotations__ = []\n")) {
      annotations = true;
      continue;
    }
    if (annotations && eat(code, "  __annotations__[")) {
      if (!eat_quoted(code) || !eat(code, "] = ")) return false;
    } else if (!eat(code, "  ") || !eat_identifier(code) || !eat(code, " : ")) {
      return false;
    }
    if (!eat_type(code, self) || !eat(code, "\n")) return false;
  }
  return true;
}

// `name` for a one-line message: bytes outside printable ASCII as \xNN, at most 80 of them.
std::string printable(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    out += c >= 0x20 && c < 0x7f && c != '\\' ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  return name.size() > 80 ? out + "..." : out;
}

// The checkpoint's bytes as LibTorch's zip reader reads them, without a copy (a checkpoint may be large).
class BytesReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BytesReader(const std::string& d) : d_(d) {}
  std::size_t size() const override { return d_.size(); }
  std::size_t read(std::uint64_t pos, void* buf, std::size_t n, const char* /*what*/) const override {
    if (pos >= d_.size()) return 0;
    n = std::min<std::uint64_t>(n, d_.size() - pos);
    std::memcpy(buf, d_.data() + pos, n);
    return n;
  }

 private:
  const std::string& d_;
};

}  // namespace

// Refuses (an Error naming `path`) an archive `d` with members other than those OutputArchive writes for scoregen,
// or with TorchScript code other than what it writes. The members and their code are read by LibTorch's own zip
// reader, so the bytes checked are those its TorchScript parser would get, whatever the archive's zip structure.
void require_scoregen_members(const std::string& d, const std::string& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::vector<std::string> names;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(std::make_shared<BytesReader>(d));
    names = reader->getAllRecords();
  } catch (const std::exception&) {
    throw Error(fmt::format("{}: not a scoregen checkpoint (unreadable or corrupt)", path));
  }
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
  if (twice != sorted.end())
    throw Error(fmt::format("{}: not a scoregen checkpoint (member '{}' appears twice)", path, printable(*twice)));
  for (const auto& name : names)
    if (!scoregen_member(name))
      throw Error(fmt::format("{}: not a scoregen checkpoint (unexpected member '{}')", path, printable(name)));
  for (const auto& name : names) {
    const std::optional<long> self = code_member(name);
    if (!self) continue;
    std::string code;
    try {
      auto [bytes, size] = reader->getRecord(name);
      code.assign(static_cast<const char*>(bytes.get()), size);
    } catch (const std::exception&) {
      throw Error(fmt::format("{}: not a scoregen checkpoint (unreadable or corrupt)", path));
    }
    if (!scoregen_code(code, *self))
      throw Error(fmt::format("{}: not a scoregen checkpoint (its TorchScript code '{}' is not what scoregen writes)",
                              path, name));
  }
  require_complete_storages(d, path);
}

void require_complete_storages(const std::string& d, const std::string& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(std::make_shared<BytesReader>(d));
  } catch (const std::exception&) {
    return;  // not a zip archive: the loader that follows says so in its own words
  }
  for (const char* pickle : {"data.pkl", "constants.pkl"}) {
    try {
      if (!reader->hasRecord(pickle)) continue;
      auto [data, size] = reader->getRecord(pickle);
      const std::string bytes(static_cast<const char*>(data.get()), size);
      for (const auto& storage : declared_storages(bytes)) {
        const std::string record = (std::string(pickle) == "data.pkl" ? "data/" : "constants/") + storage.key;
        if (!reader->hasRecord(record)) continue;
        const std::size_t have = std::get<1>(reader->getRecord(record));
        if (have < storage.bytes)
          throw Error(fmt::format("{}: damaged: its tensor data '{}' holds {} bytes of the {} its tensor needs", path,
                                  printable(record), have, storage.bytes));
      }
    } catch (const Error&) {
      throw;
    } catch (const std::exception&) {
      throw Error(fmt::format("{}: unreadable or corrupt (its member {} cannot be read)", path, pickle));
    }
  }
}

}  // namespace scoregen::engine
