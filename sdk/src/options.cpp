// Option declarations, TOML rendering of values and the validated Options table.
#include "scoregen/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scoregen/error.hpp"

namespace scoregen {

const char* type_name(OptionType type) {
  switch (type) {
    case OptionType::Integer: return "integer";
    case OptionType::Real: return "float";
    case OptionType::Boolean: return "boolean";
    case OptionType::String: return "string";
    case OptionType::RealList: return "array of floats";
    case OptionType::IntegerList: return "array of integers";
    case OptionType::RealMatrix: return "array of arrays of floats";
    case OptionType::RealOrAuto: return "float or \"auto\"";
  }
  return "?";
}

namespace opt {
OptionSpec integer(std::string name, std::int64_t def, std::string help) {
  return {std::move(name), OptionType::Integer, def, std::move(help)};
}
OptionSpec real(std::string name, double def, std::string help) {
  return {std::move(name), OptionType::Real, def, std::move(help)};
}
OptionSpec boolean(std::string name, bool def, std::string help) {
  return {std::move(name), OptionType::Boolean, def, std::move(help)};
}
OptionSpec string(std::string name, std::string def, std::string help, std::vector<std::string> choices) {
  OptionSpec spec{std::move(name), OptionType::String, std::move(def), std::move(help)};
  spec.choices = std::move(choices);
  return spec;
}
}  // namespace opt

OptionSpec& OptionSpec::at_least(double v) {
  range.min = v, range.min_open = false;
  return *this;
}
OptionSpec& OptionSpec::above(double v) {
  range.min = v, range.min_open = true;
  return *this;
}
OptionSpec& OptionSpec::at_most(double v) {
  range.max = v, range.max_open = false;
  return *this;
}
OptionSpec& OptionSpec::below(double v) {
  range.max = v, range.max_open = true;
  return *this;
}
OptionSpec& OptionSpec::one_of(std::vector<std::string> values) {
  choices = std::move(values);
  return *this;
}
OptionSpec& OptionSpec::required() {
  default_value = std::monostate{};
  return *this;
}
OptionSpec& OptionSpec::reads_file() {
  is_input_file = true;
  return *this;
}

OptionSpec& OptionSpec::takes_steps(std::string target, std::string note) {
  step_count = true, step_target = std::move(target), step_note = std::move(note);
  return *this;
}
OptionSpec& OptionSpec::names_plugin(PluginKind kind, bool allow_none) {
  plugin_kind = kind, none_allowed = allow_none;
  return *this;
}

namespace {
std::string bound_text(double v) { return fmt::format("{}", v); }
}  // namespace

std::string Range::text() const {
  if (min && max)
    return fmt::format("in {}{}, {}{}", min_open ? "(" : "[", bound_text(*min), bound_text(*max), max_open ? ")" : "]");
  if (min) return fmt::format("{} {}", min_open ? ">" : ">=", bound_text(*min));
  if (max) return fmt::format("{} {}", max_open ? "<" : "<=", bound_text(*max));
  return std::string();
}

std::string Range::violation(double v) const {
  const bool low = min && (min_open ? !(v > *min) : !(v >= *min));
  const bool high = max && (max_open ? !(v < *max) : !(v <= *max));
  return low || high ? "must be " + text() : std::string();
}

namespace {
std::string real_text(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // keep TOML floats floats
  return s;
}
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string to_toml(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "(required)"; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return real_text(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return quoted(v); }
    std::string operator()(const std::vector<double>& v) const {
      std::vector<std::string> parts;
      for (double d : v) parts.push_back(real_text(d));
      return fmt::format("[{}]", fmt::join(parts, ", "));
    }
    std::string operator()(const std::vector<std::int64_t>& v) const { return fmt::format("[{}]", fmt::join(v, ", ")); }
    std::string operator()(const std::vector<std::vector<double>>& v) const {
      std::vector<std::string> rows;
      for (const auto& r : v) rows.push_back((*this)(r));
      return fmt::format("[{}]", fmt::join(rows, ", "));
    }
  };
  return std::visit(Visitor{}, value);
}

Options::Options(std::string section, std::map<std::string, Value> values, std::map<std::string, std::string> where)
    : section_(std::move(section)), values_(std::move(values)), where_(std::move(where)) {}

const Value& Options::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw Error(fmt::format("internal: option '{}' is not declared in [{}]", name, section_));
  return it->second;
}

template <class T>
static const T& get_as(const Value& v, const std::string& section, const std::string& name) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw Error(fmt::format("internal: option [{}] {} read with the wrong type", section, name));
}

std::int64_t Options::integer(const std::string& name) const { return get_as<std::int64_t>(at(name), section_, name); }
double Options::real(const std::string& name) const {
  const Value& v = at(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (std::holds_alternative<std::string>(v))
    throw Error(fmt::format("internal: [{}] {} is \"auto\" and was never resolved", section_, name));
  return get_as<double>(v, section_, name);
}
bool Options::boolean(const std::string& name) const { return get_as<bool>(at(name), section_, name); }
const std::string& Options::string(const std::string& name) const { return get_as<std::string>(at(name), section_, name); }
std::vector<double> Options::reals(const std::string& name) const { return get_as<std::vector<double>>(at(name), section_, name); }
std::vector<std::int64_t> Options::integers(const std::string& name) const {
  return get_as<std::vector<std::int64_t>>(at(name), section_, name);
}
std::vector<std::vector<double>> Options::matrix(const std::string& name) const {
  return get_as<std::vector<std::vector<double>>>(at(name), section_, name);
}
bool Options::is_auto(const std::string& name) const {
  const auto* s = std::get_if<std::string>(&at(name));
  return s && *s == "auto";
}
bool Options::has(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && !std::holds_alternative<std::monostate>(it->second);
}
std::string Options::where(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? std::string() : it->second;
}
void Options::fail(const std::string& name, const std::string& message) const {
  std::string w = where(name);
  std::string sec = section_.empty() ? std::string() : fmt::format("[{}] ", section_);
  throw Error(w.empty() ? fmt::format("{}{}: {}", sec, name, message) : fmt::format("{}: {}{}: {}", w, sec, name, message));
}
void Options::set(const std::string& name, Value value) { values_[name] = std::move(value); }
void Options::set(const std::string& name, Value value, std::string where) {
  values_[name] = std::move(value);
  where_[name] = std::move(where);
}

}  // namespace scoregen
