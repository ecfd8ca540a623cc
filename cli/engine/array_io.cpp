// NumPy format 1.0/2.0 reader and writer, and .pt through torch::pickle_save / pickle_load.
#include "engine/array_io.hpp"

#include <cstring>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "engine/files.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

void save_npy(const at::Tensor& tensor, const std::string& path) {
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
  write_file_atomic(path, out);
}

at::Tensor load_npy(const std::string& path) {
  std::string data = read_file(path);
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) throw Error(fmt::format("{}: not a .npy file", path));
  std::size_t hlen, off;
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
  if (field("fortran_order").find("True") < field("fortran_order").find(',')) throw Error(fmt::format("{}: Fortran-order .npy is not supported", path));
  std::string shape_text = field("shape");
  shape_text = shape_text.substr(shape_text.find('(') + 1, shape_text.find(')') - shape_text.find('(') - 1);
  std::vector<std::int64_t> shape;
  std::stringstream ss(shape_text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(item));
  at::ScalarType type;
  if (descr == "<f4") type = at::kFloat;
  else if (descr == "<f8") type = at::kDouble;
  else if (descr == "<i8") type = at::kLong;
  else if (descr == "<i4") type = at::kInt;
  else if (descr == "|u1") type = at::kByte;
  else throw Error(fmt::format("{}: unsupported .npy dtype '{}'", path, descr));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  std::size_t bytes = static_cast<std::size_t>(t.numel()) * t.element_size();
  if (data.size() != off + hlen + bytes)
    throw Error(fmt::format("{}: .npy data is {} bytes, the header promises {}", path, data.size() - off - hlen, bytes));
  std::memcpy(t.data_ptr(), data.data() + off + hlen, bytes);
  return t;
}

void save_pt(const at::Tensor& tensor, const std::string& path) {
  // torch::pickle_save writes the zip format Python's torch.load reads.
  std::vector<char> bytes = torch::jit::pickle_save(tensor.detach().to(at::kCPU).contiguous());
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

at::Tensor load_pt(const std::string& path) {
  std::string data = read_file(path);
  try {
    c10::IValue v = torch::jit::pickle_load(std::vector<char>(data.begin(), data.end()));
    if (!v.isTensor()) throw Error(fmt::format("{}: holds no tensor", path));
    return v.toTensor();
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: not a tensor file readable by torch ({})", path, e.what_without_backtrace()));
  }
}

at::Tensor load_array(const std::string& path) {
  return (extension(path) == ".pt" ? load_pt(path) : load_npy(path)).to(at::kFloat);
}

}  // namespace scoregen::engine
