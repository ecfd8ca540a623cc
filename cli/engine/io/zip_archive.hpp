// Zip archives in memory (the PKWARE APPNOTE format): the central directory's members, a member's bytes, and an
// archive of stored members. Torch checkpoints and NumPy's .npz files are such archives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scoregen::engine {

struct ZipMember {
  std::string name;
  std::uint64_t method = 0;  // 0 stored, 8 deflated
  std::uint64_t crc = 0;     // the CRC-32 the central directory records
  std::uint64_t packed = 0;  // bytes in the archive
  std::uint64_t size = 0;    // bytes once inflated
  std::uint64_t data = 0;    // offset of the member's bytes in the archive
};

// The members of archive `d` as its central directory lists them, found as LibTorch's miniz finds it (the last end
// record with its 22 bytes, then a zip64 end record if one is located before it; a 32-bit size of all ones is read
// from the zip64 extra field); every member's header and bytes lie inside `d`. Nothing for what is not such an
// archive, a method other than stored or deflated, or zip64 sizes in an archive under 4 GiB (stated only for
// members that large).
std::optional<std::vector<ZipMember>> zip_members(const std::string& d);
// Whether the `n` bytes at `p`, stored (method 0) or a raw deflate stream (8), are `m.size` bytes of CRC-32 `m.crc`;
// inflating stops past `m.size` bytes (nothing is allocated by a size the archive states).
bool zip_member_intact(const std::string& d, const ZipMember& m);
// The bytes of member `m` of `d`; nothing if they are not what the central directory records (size, CRC-32) or are
// more than `largest` bytes.
std::optional<std::string> zip_member_bytes(const std::string& d, const ZipMember& m, std::uint64_t largest);
// An archive of stored (uncompressed) members, as Python's zipfile and NumPy's savez write them.
std::string zip_of_stored(const std::vector<std::pair<std::string, std::string>>& members);

}  // namespace scoregen::engine
