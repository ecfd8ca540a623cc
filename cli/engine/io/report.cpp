// Reports as lines or JSON.
#include "engine/io/report.hpp"

#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace scoregen::engine {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
    else out += c;
  }
  return out + "\"";
}

namespace {
std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string("null"); }
// When the process started (static initialisation, before main): a command's wall time is measured from here.
const std::chrono::steady_clock::time_point process_start = std::chrono::steady_clock::now();
}  // namespace

Report& Report::line(std::string text) {
  lines_.emplace_back(std::move(text), false);
  return *this;
}
Report& Report::timing(std::string text) {
  lines_.emplace_back(std::move(text), true);
  return *this;
}

std::string Report::text() const {
  std::string out;
  for (const auto& [l, timing] : lines_)
    if (!timing) out += l + "\n";
  return out;
}
Report& Report::field(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, json_quote(value));
  return *this;
}
Report& Report::field(const std::string& key, double value) {
  fields_.emplace_back(key, number(value));
  return *this;
}
Report& Report::field(const std::string& key, std::int64_t value) {
  fields_.emplace_back(key, std::to_string(value));
  return *this;
}
Report& Report::field(const std::string& key, bool value) {
  fields_.emplace_back(key, value ? "true" : "false");
  return *this;
}
Report& Report::field(const std::string& key, const std::vector<double>& values) {
  std::vector<std::string> parts;
  for (double v : values) parts.push_back(number(v));
  fields_.emplace_back(key, fmt::format("[{}]", fmt::join(parts, ", ")));
  return *this;
}
Report& Report::field(const std::string& key, const std::vector<std::string>& values) {
  std::vector<std::string> parts;
  for (const auto& v : values) parts.push_back(json_quote(v));
  fields_.emplace_back(key, fmt::format("[{}]", fmt::join(parts, ", ")));
  return *this;
}
Report& Report::field(const std::string& key, const Report& object) {
  fields_.emplace_back(key, object.json());
  return *this;
}

std::string Report::json() const {
  std::vector<std::string> parts;
  for (const auto& [k, v] : fields_) parts.push_back(json_quote(k) + ": " + v);
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

void Report::print(bool as_json) const {
  if (as_json) {
    Report summary = *this;  // every command's object ends with its whole wall time (docs/records.md)
    summary.field("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start).count());
    fmt::print("{}\n", summary.json());
    return;
  }
  for (const auto& l : lines_) fmt::print("{}\n", l.first);
}

}  // namespace scoregen::engine
