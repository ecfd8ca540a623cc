// What a command reports when it ends: lines for people, and the same facts as one JSON object for scripted
// batches (`--json`: outputs, NFE, times, metrics, the record's path).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace scoregen::engine {

class Report {
 public:
  // A line for people (printed without --json).
  Report& line(std::string text);
  // A line of wall-clock times: printed, but not part of text(), so a report file made again is the same.
  Report& timing(std::string text);
  // A field of the JSON object (in insertion order).
  Report& field(const std::string& key, const std::string& value);
  Report& field(const std::string& key, const char* value) { return field(key, std::string(value)); }
  Report& field(const std::string& key, double value);
  Report& field(const std::string& key, std::int64_t value);
  Report& field(const std::string& key, int value) { return field(key, static_cast<std::int64_t>(value)); }
  Report& field(const std::string& key, bool value);
  Report& field(const std::string& key, const std::vector<double>& values);
  Report& field(const std::string& key, const std::vector<std::string>& values);
  // A nested object.
  Report& field(const std::string& key, const Report& object);

  std::string json() const;
  // The lines without the timings, one per line: what a report file holds.
  std::string text() const;
  // Prints the lines, or the JSON object on one line to stdout, with "seconds" (the command's wall time) added last.
  void print(bool as_json) const;

 private:
  std::vector<std::pair<std::string, bool>> lines_;  // text, is a timing
  std::vector<std::pair<std::string, std::string>> fields_;  // key, rendered JSON value
};

// A JSON string literal.
std::string json_quote(const std::string& s);

}  // namespace scoregen::engine
