// The zip format's records (PKWARE APPNOTE 4.3.7 local header, 4.3.12 central directory header, 4.3.16 end of
// central directory, 4.3.14-15 zip64 end record and locator, 4.5.3 zip64 extra field), read and written in memory.
#include "engine/io/zip_archive.hpp"

#include <zlib.h>

#include <fmt/format.h>

#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

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

// A 32-bit zip size field's "see zip64".
constexpr std::uint64_t kNone = 0xffffffff;

// Replaces each of `size`, `packed`, `local` that is all ones by its value in the zip64 extra field (id 1) among the
// `len` bytes of extra fields at `off` of `d`, in the order miniz reads them; false if a needed value is missing.
bool zip64_sizes(const std::string& d, std::uint64_t off, std::uint64_t len, std::uint64_t& size,
                 std::uint64_t& packed, std::uint64_t& local) {
  if (size != kNone && packed != kNone && local != kNone) return true;
  for (std::uint64_t q = off; q + 4 <= off + len;) {
    const std::uint64_t id = little_endian(d, q, 2), n = little_endian(d, q + 2, 2);
    if (q + 4 + n > off + len) return false;
    if (id == 1) {
      std::uint64_t r = q + 4;
      for (std::uint64_t* field : {&size, &packed, &local}) {
        if (*field != kNone) continue;
        if (r + 8 > q + 4 + n) return false;
        *field = little_endian(d, r, 8);
        r += 8;
      }
      return true;
    }
    q += 4 + n;
  }
  return false;
}

// Inflates the raw deflate stream of member `m` through a fixed buffer, stopping past m.size bytes; true if it ends
// at exactly m.size bytes of CRC-32 m.crc. Appends what it inflates to `out` when given.
bool inflate_member(const std::string& d, const ZipMember& m, std::string* out) {
  if (m.packed >= kNone) return false;  // zlib's input count is 32 bits
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(d.data() + m.data));
  z.avail_in = static_cast<uInt>(m.packed);
  unsigned char buffer[16384];
  std::uint64_t total = 0;
  uLong c = crc32_z(0, nullptr, 0);
  int rc = Z_OK;
  while (rc == Z_OK && total <= m.size) {
    z.next_out = buffer;
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t got = sizeof buffer - z.avail_out;
    total += got;
    c = crc32_z(c, buffer, got);
    if (out && total <= m.size) out->append(reinterpret_cast<const char*>(buffer), got);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && total == m.size && c == m.crc;
}

void put_le(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

std::optional<std::vector<ZipMember>> zip_members(const std::string& d) {
  if (d.size() < 22) return std::nullopt;
  const std::size_t eocd = d.rfind(std::string("PK\x05\x06", 4), d.size() - 22);
  if (eocd == std::string::npos) return std::nullopt;
  std::uint64_t entries = little_endian(d, eocd + 10, 2);
  std::uint64_t p = little_endian(d, eocd + 16, 4);
  if (eocd >= 20 + 56 && little_endian(d, eocd - 20, 4) == 0x07064b50) {  // zip64 end of central directory locator
    const std::uint64_t z64 = little_endian(d, eocd - 20 + 8, 8);
    if (!fits(d, z64, 56)) return std::nullopt;
    if (little_endian(d, z64, 4) == 0x06064b50) {
      entries = little_endian(d, z64 + 32, 8);
      p = little_endian(d, z64 + 48, 8);
    }
  }
  std::vector<ZipMember> members;
  for (std::uint64_t i = 0; i < entries; ++i) {
    if (!fits(d, p, 46) || little_endian(d, p, 4) != 0x02014b50) return std::nullopt;
    ZipMember m;
    m.method = little_endian(d, p + 10, 2), m.crc = little_endian(d, p + 16, 4);
    m.packed = little_endian(d, p + 20, 4), m.size = little_endian(d, p + 24, 4);
    std::uint64_t local = little_endian(d, p + 42, 4);
    const std::uint64_t name = little_endian(d, p + 28, 2), extra = little_endian(d, p + 30, 2),
                        next = p + 46 + name + extra + little_endian(d, p + 32, 2);
    if (!fits(d, p, next - p)) return std::nullopt;
    m.name = d.substr(p + 46, name);
    const bool zip64 = m.packed == kNone || m.size == kNone || local == kNone;
    if (zip64 && (d.size() < kNone || !zip64_sizes(d, p + 46 + name, extra, m.size, m.packed, local))) return std::nullopt;
    if (m.method != 0 && m.method != 8) return std::nullopt;
    if (!fits(d, local, 30) || little_endian(d, local, 4) != 0x04034b50) return std::nullopt;
    m.data = local + 30 + little_endian(d, local + 26, 2) + little_endian(d, local + 28, 2);
    if (!fits(d, m.data, m.packed)) return std::nullopt;
    members.push_back(std::move(m));
    p = next;
  }
  return members;
}

bool zip_member_intact(const std::string& d, const ZipMember& m) {
  if (m.method == 0)
    return m.packed == m.size && crc32_z(0, reinterpret_cast<const Bytef*>(d.data() + m.data), m.size) == m.crc;
  return inflate_member(d, m, nullptr);
}

std::optional<std::string> zip_member_bytes(const std::string& d, const ZipMember& m, std::uint64_t largest) {
  if (m.size > largest) return std::nullopt;
  if (m.method == 0) {
    if (!zip_member_intact(d, m)) return std::nullopt;
    return d.substr(m.data, m.size);
  }
  std::string out;
  if (!inflate_member(d, m, &out)) return std::nullopt;
  return out;
}

std::string zip_of_stored(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string archive, directory;
  for (const auto& member : members) {
    const std::string &name = member.first, &bytes = member.second;  // named: C++17 lambdas cannot capture bindings
    if (bytes.size() >= kNone || archive.size() >= kNone)
      throw Error(fmt::format("zip member {}: 4 GiB or more (zip64 is not written)", name));
    const std::uint64_t crc = crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
    auto common = [&](std::string& s) {  // version needed .. extra length, shared by both headers
      put_le(s, 20, 2), put_le(s, 0, 2), put_le(s, 0, 2);  // version 2.0, no flags, stored
      put_le(s, 0, 2), put_le(s, 0x21, 2);                  // time 00:00, date 1980-01-01
      put_le(s, crc, 4), put_le(s, bytes.size(), 4), put_le(s, bytes.size(), 4);
      put_le(s, name.size(), 2), put_le(s, 0, 2);
    };
    directory += std::string("PK\x01\x02", 4);
    put_le(directory, 20, 2);  // made by: version 2.0
    common(directory);
    put_le(directory, 0, 2), put_le(directory, 0, 2), put_le(directory, 0, 2), put_le(directory, 0, 4);
    put_le(directory, archive.size(), 4);
    directory += name;
    archive += std::string("PK\x03\x04", 4);
    common(archive);
    archive += name;
    archive += bytes;
  }
  const std::uint64_t at = archive.size();
  archive += directory;
  archive += std::string("PK\x05\x06", 4);
  put_le(archive, 0, 2), put_le(archive, 0, 2);
  put_le(archive, members.size(), 2), put_le(archive, members.size(), 2);
  put_le(archive, directory.size(), 4), put_le(archive, at, 4), put_le(archive, 0, 2);
  return archive;
}

}  // namespace scoregen::engine
