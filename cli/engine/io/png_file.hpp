// PNG files that carry the record of how they were made, in a text chunk "scoregen-record" (PNG spec 11.3.4).
#pragma once

#include <string>

#include <opencv2/core/mat.hpp>

namespace scoregen::engine {

// Encodes `image` (8-bit BGR or grey) as PNG with the record as a text chunk (none when empty) and writes it
// atomically.
void write_png(const cv::Mat& image, const std::string& path, const std::string& record);
// A PNG's record ("" when it has none).
std::string png_record(const std::string& path);

}  // namespace scoregen::engine
