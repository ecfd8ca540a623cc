// TOML values and the typed values of declared options, both ways: a node checked against its option's type, allowed
// values and range (how every pipeline value, from a file or --set, is read), and a flag's typed value as a node.
#include <cmath>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/pipeline_raw.hpp"

namespace scoregen::engine {

std::string toml_position(const std::string& source, const toml::source_region& region) {
  if (region.begin.line == 0) return source;
  return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
}

const char* toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    default: return "date/time";
  }
}

namespace {

double to_real(const toml::node& n, const char* what) {
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  if (!n.is_floating_point()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n)), &n};
  double v = n.as_floating_point()->get();
  if (!std::isfinite(v)) throw ConvertError{fmt::format("expected a finite number, got {}", v), &n};
  return v;
}

std::vector<double> to_reals(const toml::node& n, const char* what) {
  if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n))};
  std::vector<double> out;
  for (const auto& e : *n.as_array()) out.push_back(to_real(e, what));
  return out;
}

// Range of a number, or of each element of a list.
void check_range(const toml::node& n, const OptionSpec& spec, double v, std::size_t index, bool element) {
  std::string why = spec.range.violation(v);
  if (why.empty()) return;
  const toml::node* at = &n;
  if (element && n.is_array()) {
    const toml::array& arr = *n.as_array();
    if (index < arr.size()) at = arr.get(index);
  }
  throw ConvertError{element ? fmt::format("every element {} (element {} is {})", why, index, v)
                             : fmt::format("{} (got {})", why, v),
                     at};
}

}  // namespace

Value typed_value(const toml::node& n, const OptionSpec& spec, const std::vector<std::string>& choices) {
  const char* what = type_name(spec.type);
  switch (spec.type) {
    case OptionType::Integer: {
      if (!n.is_integer()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n))};
      const std::int64_t v = n.as_integer()->get();
      check_range(n, spec, static_cast<double>(v), 0, false);
      return v;
    }
    case OptionType::Real: {
      const double v = to_real(n, what);
      check_range(n, spec, v, 0, false);
      return v;
    }
    case OptionType::Boolean:
      if (!n.is_boolean()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n))};
      return n.as_boolean()->get();
    case OptionType::String: {
      if (!n.is_string()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n))};
      std::string s = n.as_string()->get();
      if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end())
        throw ConvertError{fmt::format("'{}' is not one of: {}{}", s, fmt::join(choices, ", "), did_you_mean(s, choices))};
      return s;
    }
    case OptionType::RealList: {
      std::vector<double> out = to_reals(n, what);
      for (std::size_t i = 0; i < out.size(); ++i) check_range(n, spec, out[i], i, true);
      return out;
    }
    case OptionType::IntegerList: {
      if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n))};
      std::vector<std::int64_t> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_integer()) throw ConvertError{fmt::format("expected {}, got an element of type {}", what, toml_type_name(e))};
        out.push_back(e.as_integer()->get());
        check_range(n, spec, static_cast<double>(out.back()), out.size() - 1, true);
      }
      return out;
    }
    case OptionType::RealMatrix: {
      if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, toml_type_name(n))};
      std::vector<std::vector<double>> out;
      for (const auto& row : *n.as_array()) out.push_back(to_reals(row, what));
      return out;
    }
    case OptionType::RealOrAuto: {
      if (n.is_string()) {
        if (n.as_string()->get() != "auto")
          throw ConvertError{fmt::format("expected {}, got the string \"{}\"", what, n.as_string()->get())};
        return std::string("auto");
      }
      const double v = to_real(n, what);
      check_range(n, spec, v, 0, false);
      return v;
    }
  }
  throw ConvertError{"unsupported option type"};
}

// A one-key table {v = value}: a flag's typed value as a TOML node, made without parsing any text.
std::unique_ptr<toml::table> value_table(const Value& value) {
  auto tbl = std::make_unique<toml::table>();
  std::visit(
      [&tbl](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          // no value: nothing to set
        } else if constexpr (std::is_same_v<T, std::vector<double>> || std::is_same_v<T, std::vector<std::int64_t>>) {
          toml::array a;
          for (auto e : v) a.push_back(e);
          tbl->insert_or_assign("v", std::move(a));
        } else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>) {
          toml::array rows;
          for (const auto& row : v) {
            toml::array r;
            for (double e : row) r.push_back(e);
            rows.push_back(std::move(r));
          }
          tbl->insert_or_assign("v", std::move(rows));
        } else {
          tbl->insert_or_assign("v", v);
        }
      },
      value);
  return tbl;
}

}  // namespace scoregen::engine
