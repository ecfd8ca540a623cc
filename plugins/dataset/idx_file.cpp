// IDX files through zlib's gzread, which reads gzip-compressed and plain files alike.
#include "idx_file.hpp"

#include <zlib.h>

#include <cstring>
#include <filesystem>

#include <ATen/ATen.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scoregen/error.hpp"

namespace scoregen::plugins {

// Whole file through gzread (which also reads uncompressed files as they are).
std::string read_maybe_gz(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(fmt::format("{}: no such file", path));
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(fmt::format("{}: cannot open", path));
  std::string data;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string what = err < 0 ? msg : "";
  gzclose(f);
  if (n < 0 || err < 0) throw Error(fmt::format("{}: corrupt gzip data ({})", path, what));
  return data;
}

namespace {

std::uint32_t be32(const std::string& d, std::size_t off) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 3]));
}

}  // namespace

// An IDX file of unsigned bytes: magic 0x0000 08 <ndim>, then ndim big-endian sizes, then the data.
at::Tensor read_idx(const std::string& path, int expected_dims) {
  std::string d = read_maybe_gz(path);
  if (d.size() < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0x08)
    throw Error(fmt::format("{}: not an IDX file of unsigned bytes", path));
  const int ndim = static_cast<unsigned char>(d[3]);
  if (ndim != expected_dims)
    throw Error(fmt::format("{}: expected an IDX file with {} dimensions, it has {}", path, expected_dims, ndim));
  std::vector<std::int64_t> shape;
  std::size_t total = 1, off = 4;
  if (d.size() < off + 4 * static_cast<std::size_t>(ndim)) throw Error(fmt::format("{}: truncated IDX header", path));
  for (int i = 0; i < ndim; ++i, off += 4) {
    shape.push_back(be32(d, off));
    // three 32-bit sizes can overflow 64 bits (2^31 x 2^31 x 4 is 0 modulo 2^64)
    if (__builtin_mul_overflow(total, static_cast<std::size_t>(shape.back()), &total))
      throw Error(fmt::format("{}: IDX sizes {} are too large", path, fmt::join(shape, " x ")));
  }
  if (d.size() - off != total)
    throw Error(fmt::format("{}: IDX data is {} bytes, the header promises {}", path, d.size() - off, total));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(at::kByte));
  if (total > 0) std::memcpy(t.data_ptr(), d.data() + off, total);  // an empty tensor has no data pointer
  return t;
}

}  // namespace scoregen::plugins
