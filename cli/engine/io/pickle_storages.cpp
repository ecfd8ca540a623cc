// A scan of pickle opcodes (Python's pickle protocol 2, as torch::jit::Pickler writes it) for storage persistent ids.
#include "engine/io/pickle_storages.hpp"

#include <map>
#include <optional>
#include <variant>

namespace scoregen::engine {

namespace pickle_scan {

// The values the scan follows: strings, globals ("module name"), integers; anything else is Other.
struct Other {};
struct Global {
  std::string name;
};
using Value = std::variant<Other, std::string, Global, std::int64_t>;

std::uint64_t element_bytes(const std::string& storage_type) {
  static const std::map<std::string, std::uint64_t> sizes = {
      {"torch FloatStorage", 4},   {"torch DoubleStorage", 8},       {"torch HalfStorage", 2},
      {"torch BFloat16Storage", 2}, {"torch LongStorage", 8},        {"torch IntStorage", 4},
      {"torch ShortStorage", 2},   {"torch CharStorage", 1},         {"torch ByteStorage", 1},
      {"torch BoolStorage", 1},    {"torch ComplexFloatStorage", 8}, {"torch ComplexDoubleStorage", 16}};
  auto it = sizes.find(storage_type);
  return it == sizes.end() ? 0 : it->second;
}

class Reader {
 public:
  explicit Reader(const std::string& b) : b_(b) {}
  bool done() const { return at_ >= b_.size(); }
  std::optional<std::uint64_t> little(std::size_t n) {
    if (b_.size() - at_ < n) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b_[at_ + i])) << (8 * i);
    at_ += n;
    return v;
  }
  std::optional<std::string> take(std::uint64_t n) {
    if (b_.size() - at_ < n) return std::nullopt;
    std::string s = b_.substr(at_, n);
    at_ += n;
    return s;
  }
  std::optional<std::string> line() {
    const auto end = b_.find('\n', at_);
    if (end == std::string::npos) return std::nullopt;
    std::string s = b_.substr(at_, end - at_);
    at_ = end + 1;
    return s;
  }
  std::optional<unsigned char> next() {
    if (done()) return std::nullopt;
    return static_cast<unsigned char>(b_[at_++]);
  }
  std::optional<unsigned char> peek() const {
    if (done()) return std::nullopt;
    return static_cast<unsigned char>(b_[at_]);
  }

 private:
  const std::string& b_;
  std::size_t at_ = 0;
};

}  // namespace pickle_scan

std::vector<DeclaredStorage> declared_storages(const std::string& bytes) {
  using namespace pickle_scan;
  std::vector<DeclaredStorage> out;
  Reader r(bytes);
  std::map<std::uint64_t, Value> memo;
  std::vector<std::vector<Value>> frames;  // the items pushed since each open MARK
  Value last = Other{};                    // the value last pushed (what BINPUT and MEMOIZE store)
  auto push = [&](Value v) {
    last = v;
    if (!frames.empty()) frames.back().push_back(std::move(v));
  };
  auto arg = [&](std::size_t n) { return r.little(n); };
  while (auto op = r.next()) {
    switch (*op) {
      case 0x80: if (!arg(1)) return out; break;  // PROTO
      case 0x95: if (!arg(8)) return out; break;  // FRAME
      case '(': frames.emplace_back(); break;     // MARK
      case 'c': {                                 // GLOBAL module\nname\n
        auto module = r.line(), name = r.line();
        if (!module || !name) return out;
        push(Global{*module + " " + *name});
        break;
      }
      case 'X': case 0x8c: case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        auto n = arg(*op == 'X' ? 4 : *op == 0x8c ? 1 : 8);
        if (!n) return out;
        auto s = r.take(*n);
        if (!s) return out;
        push(*s);
        break;
      }
      case 'B': case 'C': case 0x8e: {  // BINBYTES, SHORT_BINBYTES, BINBYTES8
        auto n = arg(*op == 'B' ? 4 : *op == 'C' ? 1 : 8);
        if (!n || !r.take(*n)) return out;
        push(Other{});
        break;
      }
      case 'K': { auto v = arg(1); if (!v) return out; push(static_cast<std::int64_t>(*v)); break; }  // BININT1
      case 'M': { auto v = arg(2); if (!v) return out; push(static_cast<std::int64_t>(*v)); break; }  // BININT2
      case 'J': {  // BININT (signed)
        auto v = arg(4);
        if (!v) return out;
        push(static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(*v))));
        break;
      }
      case 0x8a: {  // LONG1: little-endian two's complement of n bytes
        auto n = arg(1);
        if (!n) return out;
        if (*n > 8) { if (!r.take(*n)) return out; push(Other{}); break; }
        auto v = arg(*n);
        if (!v) return out;
        push(static_cast<std::int64_t>(*v));
        break;
      }
      case 'G': if (!arg(8)) return out; push(Other{}); break;  // BINFLOAT
      case 'q': { auto i = arg(1); if (!i) return out; memo[*i] = last; break; }  // BINPUT
      case 'r': { auto i = arg(4); if (!i) return out; memo[*i] = last; break; }  // LONG_BINPUT
      case 0x94: memo[memo.size()] = last; break;                                 // MEMOIZE
      case 'h': case 'j': {  // BINGET, LONG_BINGET
        auto i = arg(*op == 'h' ? 1 : 4);
        if (!i) return out;
        auto it = memo.find(*i);
        push(it == memo.end() ? Value(Other{}) : it->second);
        break;
      }
      case 't': {  // TUPLE: the items since MARK; a storage's persistent id when BINPERSID follows
        std::vector<Value> items;
        if (!frames.empty()) items = std::move(frames.back()), frames.pop_back();
        if (r.peek() == 'Q' && items.size() == 5) {
          const auto* tag = std::get_if<std::string>(&items[0]);
          const auto* type = std::get_if<Global>(&items[1]);
          const auto* key = std::get_if<std::string>(&items[2]);
          const auto* numel = std::get_if<std::int64_t>(&items[4]);
          if (tag && *tag == "storage" && type && key && numel && *numel >= 0 && element_bytes(type->name) > 0)
            out.push_back({*key, static_cast<std::uint64_t>(*numel) * element_bytes(type->name)});
        }
        push(Other{});
        break;
      }
      case '1': if (!frames.empty()) frames.pop_back(); break;  // POP_MARK
      case 'e': case 'u': case 'l': case 'd': case 0x90: case 0x91:  // APPENDS, SETITEMS, LIST, DICT, ... pop to MARK
        if (!frames.empty()) frames.pop_back();
        if (*op == 'l' || *op == 'd' || *op == 0x91) push(Other{});
        break;
      // no argument: containers, None, booleans, reductions (the items they take are not followed)
      case ')': case ']': case '}': case 0x8f: case 'N': case 0x88: case 0x89: case 0x85: case 0x86: case 0x87:
      case 'R': case 'b': case 'a': case 's': case 'Q': case 0x81: case 0x92: case 0x93: case '0': case '2':
        push(Other{});
        break;
      case '.': return out;  // STOP
      default: return out;   // an opcode this scan does not know: stop, check nothing more
    }
  }
  return out;
}

}  // namespace scoregen::engine
