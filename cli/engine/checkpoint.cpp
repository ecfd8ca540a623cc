// Checkpoints as torch archives (torch::serialize), written atomically.
#include "engine/checkpoint.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize.h>

#include "scoregen/error.hpp"
#include "engine/files.hpp"

namespace scoregen::engine {

namespace {
constexpr const char* kFormat = "scoregen-checkpoint-1";

// Little-endian unsigned integer of `bytes` bytes at `off` of `d` (the caller checks the bounds).
std::uint64_t little_endian(const std::string& d, std::uint64_t off, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[off + i]);
  return v;
}

// Whether `d` has `len` bytes at `off` (without overflow, whatever the archive states).
bool fits(const std::string& d, std::uint64_t off, std::uint64_t len) {
  return off <= d.size() && len <= d.size() - off;
}

// Whether the raw deflate stream of `n` bytes at `p` inflates to exactly `size` bytes of CRC-32 `crc`. The output
// goes through a fixed buffer: nothing is allocated by a size the archive states.
bool inflates_to(const char* p, std::uint64_t n, std::uint64_t size, std::uint64_t crc) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
  z.avail_in = static_cast<uInt>(n);  // n < 2^32: a size from the central directory's 32-bit field
  unsigned char out[16384];
  std::uint64_t total = 0;
  uLong c = crc32_z(0, nullptr, 0);
  int rc = Z_OK;
  while (rc == Z_OK && total <= size) {
    z.next_out = out;
    z.avail_out = sizeof out;
    rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t got = sizeof out - z.avail_out;
    total += got;
    c = crc32_z(c, out, got);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && total == size && c == crc;
}

// Whether every member of the zip archive `d` (what torch::serialize writes) has the CRC-32 its central directory
// records, stored or deflated (LibTorch deflates some of its TorchScript code members). LibTorch checks none before
// it parses the archive's code, and corrupt code can crash that parser (SEGVs in torch::jit::ScriptTypeParser, found
// by checkpoint_loader_fuzz), so a checkpoint with any byte changed is refused before LibTorch reads it. The central
// directory is found as LibTorch's miniz finds it (the last end record with its 22 bytes, then a zip64 end record
// if one is located before it). Members of zip64 sizes pass unchecked (require_scoregen_members checks the code).
bool members_intact(const std::string& d) {
  if (d.size() < 22) return false;
  const std::size_t eocd = d.rfind(std::string("PK\x05\x06", 4), d.size() - 22);
  if (eocd == std::string::npos) return false;
  std::uint64_t entries = little_endian(d, eocd + 10, 2);
  std::uint64_t p = little_endian(d, eocd + 16, 4);
  if (eocd >= 20 + 56 && little_endian(d, eocd - 20, 4) == 0x07064b50) {  // zip64 end of central directory locator
    const std::uint64_t z64 = little_endian(d, eocd - 20 + 8, 8);
    if (!fits(d, z64, 56)) return false;
    if (little_endian(d, z64, 4) == 0x06064b50) {
      entries = little_endian(d, z64 + 32, 8);
      p = little_endian(d, z64 + 48, 8);
    }
  }
  for (std::uint64_t i = 0; i < entries; ++i) {
    if (!fits(d, p, 46) || little_endian(d, p, 4) != 0x02014b50) return false;
    const std::uint64_t method = little_endian(d, p + 10, 2), crc = little_endian(d, p + 16, 4),
                        packed = little_endian(d, p + 20, 4), size = little_endian(d, p + 24, 4),
                        local = little_endian(d, p + 42, 4);
    const std::uint64_t next = p + 46 + little_endian(d, p + 28, 2) + little_endian(d, p + 30, 2) + little_endian(d, p + 32, 2);
    if (packed != 0xffffffff && size != 0xffffffff && local != 0xffffffff) {
      if (!fits(d, local, 30) || little_endian(d, local, 4) != 0x04034b50) return false;
      const std::uint64_t data = local + 30 + little_endian(d, local + 26, 2) + little_endian(d, local + 28, 2);
      if (!fits(d, data, packed)) return false;
      if (method == 0 && (packed != size || crc32_z(0, reinterpret_cast<const Bytef*>(d.data() + data), size) != crc))
        return false;
      if (method == 8 && !inflates_to(d.data() + data, packed, size, crc)) return false;
    }
    p = next;
  }
  return true;
}

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
// version, data.pkl, constants.pkl, data/N (tensors), and the TorchScript code of each module with its debug_pkl.
bool scoregen_member(std::string_view name) {
  long n = 0;
  if (name == "version" || name == "data.pkl" || name == "constants.pkl") return true;
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
}

// One top-level value of an opened checkpoint; an absent key or a value of another type is an Error naming the file.
c10::IValue read_entry(torch::serialize::InputArchive& archive, const std::string& key, bool (c10::IValue::*is)() const,
                       const std::string& path) {
  c10::IValue v;
  if (!archive.try_read(key, v) || !(v.*is)())
    throw Error(fmt::format("{}: not a scoregen checkpoint (no valid '{}')", path, key));
  return v;
}

torch::serialize::InputArchive open_archive(const std::string& path) {
  std::string data = read_file(path);
  if (!members_intact(data)) throw Error(fmt::format("{}: not a scoregen checkpoint (unreadable or corrupt)", path));
  require_scoregen_members(data, path);
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in(data);
    archive.load_from(in);
    c10::IValue format;
    if (!archive.try_read("format", format) || !format.isString() || format.toStringRef() != kFormat)
      throw Error(fmt::format("{}: not a scoregen checkpoint", path));
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {  // a c10::Error, or torch::jit::ErrorReport when the archive's code is corrupt
    throw Error(fmt::format("{}: not a scoregen checkpoint (unreadable or corrupt)", path));
  }
  return archive;
}

std::string shape_text(const at::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

// Whether the entry `key` is a tensor or a layer holding some (a layer without weights, such as a dropout an older
// version kept as a submodule, carries nothing to lose).
bool holds_tensors(torch::serialize::InputArchive& archive, const std::string& key) {
  at::Tensor t;
  if (archive.try_read(key, t) || archive.try_read(key, t, true)) return true;
  torch::serialize::InputArchive child;
  if (!archive.try_read(key, child)) return true;  // something else: not ours to ignore
  for (const auto& k : child.keys())
    if (holds_tensors(child, k)) return true;
  return false;
}

// Every parameter and buffer of `module` is in `archive` with its shape, and the archive holds nothing else: torch's
// Module::load would replace a parameter by a tensor of another shape (and ignore extra entries), so a checkpoint of
// another network configuration would fail later, inside the network, or run with the wrong weights.
void require_same_layout(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix) {
  std::vector<std::string> expected;
  auto check = [&](const std::string& name, const at::Tensor& ours, bool buffer) {
    expected.push_back(name);
    at::Tensor stored;
    if (!archive.try_read(name, stored, buffer))
      throw Error(fmt::format("the checkpoint lacks {} '{}{}' of this network", buffer ? "buffer" : "parameter", prefix, name));
    if (!stored.sizes().equals(ours.sizes()))
      throw Error(fmt::format("'{}{}' is {} in the checkpoint and {} in this network", prefix, name, shape_text(stored),
                              shape_text(ours)));
  };
  for (const auto& p : module.named_parameters(false)) check(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(false)) check(b.key(), b.value(), true);
  for (const auto& c : module.named_children()) {
    expected.push_back(c.key());
    torch::serialize::InputArchive child;
    if (!archive.try_read(c.key(), child))
      throw Error(fmt::format("the checkpoint lacks the layer '{}{}' of this network", prefix, c.key()));
    require_same_layout(child, *c.value(), prefix + c.key() + ".");
  }
  for (const auto& key : archive.keys())
    if (std::find(expected.begin(), expected.end(), key) == expected.end() && holds_tensors(archive, key))
      throw Error(fmt::format("the checkpoint has '{}{}', which this network lacks", prefix, key));
}
}  // namespace

void save_checkpoint(const std::string& path, const CheckpointState& state, torch::nn::Module& module,
                     torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("step", c10::IValue(state.step));
  archive.write("pipeline", c10::IValue(state.pipeline));
  torch::serialize::OutputArchive net;
  module.save(net);
  archive.write("network", net);
  torch::serialize::OutputArchive ema;
  for (std::size_t i = 0; i < state.ema.size(); ++i) ema.write(std::to_string(i), state.ema[i]);
  archive.write("ema", ema);
  for (std::size_t i = 0; i < state.rng.size(); ++i) archive.write(fmt::format("rng{}", i), state.rng[i]);
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write("optimizer", opt);
    archive.write("elapsed_s", c10::IValue(state.elapsed_s));
    archive.write("loss_sum", c10::IValue(state.loss_sum));
    archive.write("loss_count", c10::IValue(state.loss_count));
  }
  std::ostringstream out;
  archive.save_to(out);
  write_file_atomic(path, out.str());
}

CheckpointState load_checkpoint(const std::string& path, torch::nn::Module* module, torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive archive = open_archive(path);
  CheckpointState state;
  try {
    c10::IValue v;
    archive.read("step", v);
    state.step = v.toInt();
    archive.read("pipeline", v);
    state.pipeline = v.toStringRef();
    if (module) {
      torch::serialize::InputArchive net;
      archive.read("network", net);
      try {
        require_same_layout(net, *module, "");
      } catch (const Error& e) {
        throw Error(fmt::format("{}: checkpoint does not fit this pipeline's network: {} (was it trained with another "
                                "[network] configuration?)", path, e.what()));
      }
      module->load(net);
      torch::serialize::InputArchive ema;
      if (archive.try_read("ema", ema)) {
        const std::size_t n = module->parameters().size();
        for (std::size_t i = 0; i < n; ++i) {
          at::Tensor t;
          if (!ema.try_read(std::to_string(i), t)) break;
          state.ema.push_back(t);
        }
      }
    }
    for (int i = 0;; ++i) {
      at::Tensor t;
      if (!archive.try_read(fmt::format("rng{}", i), t)) break;
      state.rng.push_back(t);
    }
    if (optimizer) {
      torch::serialize::InputArchive opt;
      if (archive.try_read("optimizer", opt)) optimizer->load(opt), state.has_optimizer = true;
      // absent in checkpoints written before the run's tally was kept: a resumed record then restarts its clock
      if (archive.try_read("elapsed_s", v) && v.isDouble()) state.elapsed_s = v.toDouble();
      if (archive.try_read("loss_sum", v) && v.isDouble()) state.loss_sum = v.toDouble();
      if (archive.try_read("loss_count", v) && v.isInt()) state.loss_count = v.toInt();
    }
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw Error(fmt::format("{}: checkpoint does not fit this pipeline's network ({})", path, msg.substr(0, msg.find('\n'))));
  }
  return state;
}

std::string checkpoint_pipeline(const std::string& path) {
  torch::serialize::InputArchive archive = open_archive(path);
  return read_entry(archive, "pipeline", &c10::IValue::isString, path).toStringRef();
}

std::int64_t checkpoint_step(const std::string& path) {
  torch::serialize::InputArchive archive = open_archive(path);
  return read_entry(archive, "step", &c10::IValue::isInt, path).toInt();
}

void apply_ema(torch::nn::Module& module, const std::vector<at::Tensor>& ema) {
  auto params = module.parameters();
  if (ema.empty()) return;
  if (ema.size() != params.size()) throw Error("the checkpoint's EMA weights do not match the network");
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!ema[i].sizes().equals(params[i].sizes()))
      throw Error(fmt::format("the checkpoint's EMA weight {} is {}, the network's parameter {}", i, shape_text(ema[i]),
                              shape_text(params[i])));
  torch::NoGradGuard guard;
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(ema[i]);
}

std::int64_t load_ema_weights(const std::string& path, torch::nn::Module& module) {
  CheckpointState st = load_checkpoint(path, &module, nullptr);
  apply_ema(module, st.ema);
  return st.step;
}

}  // namespace scoregen::engine
