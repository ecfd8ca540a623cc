// PNG files with a text chunk: OpenCV encodes the image, the record goes in as a chunk after IHDR.
#include "engine/io/png_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "engine/io/files.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

constexpr const char* kRecordKey = "scoregen-record";

void put_be32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
}
std::uint32_t get_be32(const std::string& d, std::size_t off) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[off + 3]));
}

// A PNG text chunk (PNG spec 11.3.4): tEXt for Latin-1 text, iTXt (UTF-8) otherwise; CRC-32 over type and data.
std::string text_chunk(const std::string& key, const std::string& text) {
  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::string body = ascii ? "tEXt" + key + '\0' + text : "iTXt" + key + std::string("\0\0\0\0\0", 5) + text;
  std::string chunk;
  put_be32(chunk, static_cast<std::uint32_t>(body.size() - 4));
  chunk += body;
  put_be32(chunk, static_cast<std::uint32_t>(
                      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return chunk;
}

}  // namespace

void write_png(const cv::Mat& image, const std::string& path, const std::string& record) {
  std::vector<unsigned char> buf;
  if (!cv::imencode(".png", image, buf)) throw Error(fmt::format("{}: PNG encoding failed", path));
  std::string png(buf.begin(), buf.end());
  // after the signature (8 bytes) and IHDR (4 + 4 + 13 + 4)
  if (!record.empty()) png.insert(8 + 25, text_chunk(kRecordKey, record));
  write_file_atomic(path, png);
}

std::string png_record(const std::string& path) {
  const std::string d = read_file(path);
  if (d.size() < 8 || d.compare(1, 3, "PNG") != 0) throw Error(fmt::format("{}: not a PNG file", path));
  for (std::size_t off = 8; off + 12 <= d.size();) {
    const std::uint32_t len = get_be32(d, off);
    if (off + 12 + len > d.size()) break;
    const std::string type = d.substr(off + 4, 4), data = d.substr(off + 8, len);
    if ((type == "tEXt" || type == "iTXt") &&
        data.compare(0, std::strlen(kRecordKey) + 1, std::string(kRecordKey) + '\0') == 0)
      return type == "tEXt" ? data.substr(std::strlen(kRecordKey) + 1) : data.substr(std::strlen(kRecordKey) + 5);
    off += 12 + len;
  }
  return "";
}

}  // namespace scoregen::engine
