// A TOML value written back as pipeline text.
#include "engine/io/toml_text.hpp"

#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace scoregen::engine {

std::string toml_value_text(const toml::node& n) {
  if (const auto* f = n.as_floating_point()) {
    std::string v = fmt::format("{}", f->get());
    if (v.find_first_of(".eEn") == std::string::npos) v += ".0";  // 16.0 stays a float
    return v;
  }
  // toml++ writes the rest; without allow_literal_strings its strings are "double-quoted" and escaped
  std::ostringstream out;
  out << toml::toml_formatter(n, toml::format_flags::allow_unicode_strings);
  return out.str();
}

}  // namespace scoregen::engine
