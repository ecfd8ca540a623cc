// NumPy format 1.0/2.0 reader and writer, and .pt through torch::pickle_save / pickle_load.
#include "engine/io/array_io.hpp"

#include <charconv>
#include <algorithm>
#include <cstring>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "engine/io/checkpoint_members.hpp"
#include "engine/io/files.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

std::string npy_bytes(const at::Tensor& tensor) {
  // NumPy format 1.0: magic, header length, a Python dict literal padded to 64 bytes, raw data.
  at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
  std::string descr;
  if (t.scalar_type() == at::kFloat) descr = "<f4";
  else if (t.scalar_type() == at::kDouble) descr = "<f8";
  else if (t.scalar_type() == at::kLong) descr = "<i8";
  else if (t.scalar_type() == at::kByte) descr = "|u1";
  else t = t.to(at::kFloat), descr = "<f4";
  std::string shape;
  for (auto s : t.sizes()) shape += fmt::format("{}, ", s);
  if (t.dim() > 1) shape.resize(shape.size() - 2);
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  std::size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  auto len = static_cast<std::uint16_t>(header.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void save_npy(const at::Tensor& tensor, const std::string& path) { write_file_atomic(path, npy_bytes(tensor)); }

namespace {

// The shape tuple at the start of `text` ("(2, 3), }", "(), }"): non-negative integers. Multiplies `bytes` (the
// element size) by each dimension; a product that overflows is an error.
std::vector<std::int64_t> npy_shape(const std::string& text, const std::string& path, std::size_t& bytes) {
  const std::size_t open = text.find('('), close = text.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open)
    throw Error(fmt::format("{}: .npy header has no shape tuple", path));
  const std::string tuple = text.substr(open + 1, close - open - 1);
  std::vector<std::int64_t> shape;
  std::stringstream ss(tuple);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const std::size_t first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    if (first == std::string::npos) continue;  // the empty item after a trailing comma: "(3,)"
    std::int64_t n = -1;
    const auto [end, ec] = std::from_chars(item.data() + first, item.data() + last + 1, n);
    if (ec != std::errc() || end != item.data() + last + 1 || n < 0)
      throw Error(fmt::format("{}: .npy shape ({}) is not a tuple of sizes", path, tuple));
    if (__builtin_mul_overflow(bytes, static_cast<std::size_t>(n), &bytes))
      throw Error(fmt::format("{}: .npy shape ({}) is too large", path, tuple));
    shape.push_back(n);
  }
  return shape;
}

}  // namespace

at::Tensor load_npy(const std::string& path) { return parse_npy(read_file(path), path); }

at::Tensor parse_npy(const std::string& data, const std::string& path) {
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) throw Error(fmt::format("{}: not a .npy file", path));
  std::size_t hlen, off;
  if (data[6] < 1 || data[6] > 3)
    throw Error(fmt::format("{}: .npy format version {} (NumPy writes 1 to 3)", path, static_cast<int>(data[6])));
  if (data[6] == 1) {
    hlen = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8), off = 10;
  } else {
    if (data.size() < 12) throw Error(fmt::format("{}: truncated .npy header", path));
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<std::size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    off = 12;
  }
  if (data.size() < off + hlen) throw Error(fmt::format("{}: truncated .npy header", path));
  std::string header = data.substr(off, hlen);
  auto field = [&](const std::string& key) {
    auto p = header.find("'" + key + "'");
    if (p == std::string::npos) throw Error(fmt::format("{}: .npy header has no '{}'", path, key));
    return header.substr(header.find(':', p) + 1);
  };
  std::string descr = field("descr");
  descr = descr.substr(descr.find('\'') + 1);
  descr = descr.substr(0, descr.find('\''));
  std::string order_value = field("fortran_order");
  order_value = order_value.substr(0, order_value.find_first_of(",}"));
  order_value.erase(0, std::min(order_value.size(), order_value.find_first_not_of(' ')));
  order_value.erase(order_value.find_last_not_of(' ') + 1);
  if (order_value == "True") throw Error(fmt::format("{}: Fortran-order .npy is not supported", path));
  if (order_value != "False")
    throw Error(fmt::format("{}: .npy header's fortran_order is '{}' (True or False)", path, order_value));
  at::ScalarType type;
  if (descr == "<f4") type = at::kFloat;
  else if (descr == "<f8") type = at::kDouble;
  else if (descr == "<i8") type = at::kLong;
  else if (descr == "<i4") type = at::kInt;
  else if (descr == "|u1") type = at::kByte;
  else throw Error(fmt::format("{}: unsupported .npy dtype '{}'", path, descr));
  // The size is checked against the file before anything is allocated: a header may promise any size.
  std::size_t bytes = at::elementSize(type);
  const std::vector<std::int64_t> shape = npy_shape(field("shape"), path, bytes);
  if (data.size() - off - hlen != bytes)
    throw Error(fmt::format("{}: .npy data is {} bytes, the header promises {}", path, data.size() - off - hlen, bytes));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  if (bytes > 0) std::memcpy(t.data_ptr(), data.data() + off + hlen, bytes);  // an empty tensor has no data pointer
  return t;
}

void save_pt(const at::Tensor& tensor, const std::string& path) {
  // torch::pickle_save writes the zip format Python's torch.load reads.
  std::vector<char> bytes = torch::jit::pickle_save(tensor.detach().to(at::kCPU).contiguous());
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

bool within_storage(const at::Tensor& t) {
  if (t.numel() == 0) return true;
  if (t.storage_offset() < 0) return false;
  std::int64_t last = t.storage_offset();
  for (std::int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) < 0) return false;
    last += (t.size(d) - 1) * t.stride(d);
  }
  return static_cast<std::size_t>(last + 1) * t.element_size() <= t.storage().nbytes();
}

at::Tensor load_pt(const std::string& path) {
  std::string data = read_file(path);
  require_complete_storages(data, path);
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(std::vector<char>(data.begin(), data.end()));
  } catch (const c10::Error&) {
    throw Error(fmt::format("{}: not a tensor file (a .pt of one tensor, as torch.save(tensor) writes)", path));
  }
  if (!v.isTensor())
    throw Error(fmt::format("{}: holds a {}, not a tensor (save one tensor: torch.save(tensor, ...))", path, v.tagKind()));
  at::Tensor t = v.toTensor();
  if (!within_storage(t)) throw Error(fmt::format("{}: damaged: the tensor reaches past its data", path));
  if (t.is_complex()) throw Error(fmt::format("{}: holds complex numbers; scoregen reads real arrays", path));
  return t;
}

at::Tensor load_stored_array(const std::string& path) {
  return extension(path) == ".pt" ? load_pt(path) : load_npy(path);
}

at::Tensor load_array(const std::string& path) { return load_stored_array(path).to(at::kFloat); }

}  // namespace scoregen::engine
