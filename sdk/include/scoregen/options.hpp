// Declared plugin options and the validated values a component receives.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "scoregen/api.hpp"

namespace scoregen {

enum class OptionType { Integer, Real, Boolean, String, RealList, IntegerList, RealMatrix, RealOrAuto };

SCOREGEN_API const char* type_name(OptionType type);

// A typed option value; std::monostate means "no value" (a required option's default).
using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string, std::vector<double>,
                           std::vector<std::int64_t>, std::vector<std::vector<double>>>;

// One option as a plugin (or a command section) declares it.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::Real;
  Value default_value;             // monostate: required
  std::string help;
  std::vector<std::string> choices;  // allowed values of a String option (empty: any)
  bool required() const { return std::holds_alternative<std::monostate>(default_value); }
};

// Builders used inside SCOREGEN_PLUGIN declarations.
namespace opt {
SCOREGEN_API OptionSpec integer(std::string name, std::int64_t def, std::string help);
SCOREGEN_API OptionSpec real(std::string name, double def, std::string help);
SCOREGEN_API OptionSpec real_or_auto(std::string name, double def, std::string help);
SCOREGEN_API OptionSpec boolean(std::string name, bool def, std::string help);
SCOREGEN_API OptionSpec string(std::string name, std::string def, std::string help,
                               std::vector<std::string> choices = {});
SCOREGEN_API OptionSpec reals(std::string name, std::vector<double> def, std::string help);
SCOREGEN_API OptionSpec integers(std::string name, std::vector<std::int64_t> def, std::string help);
SCOREGEN_API OptionSpec matrix(std::string name, std::vector<std::vector<double>> def, std::string help);
// A required option: no default, the pipeline must set it.
SCOREGEN_API OptionSpec required(OptionSpec spec);
}  // namespace opt

// Renders a value as TOML text (used by `plugins info` and for resolved pipelines).
SCOREGEN_API std::string to_toml(const Value& value);

// The validated option table of one pipeline section: every declared option has a value
// of its declared type; `where` names the source position of each for semantic errors.
class SCOREGEN_API Options {
 public:
  Options() = default;
  Options(std::string section, std::map<std::string, Value> values, std::map<std::string, std::string> where);

  std::int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool boolean(const std::string& name) const;
  const std::string& string(const std::string& name) const;
  std::vector<double> reals(const std::string& name) const;
  std::vector<std::int64_t> integers(const std::string& name) const;
  std::vector<std::vector<double>> matrix(const std::string& name) const;
  // For RealOrAuto options: true when the value is the string "auto".
  bool is_auto(const std::string& name) const;
  bool has(const std::string& name) const;

  // Throws scoregen::Error "<file:line:col>: [section] key: message".
  [[noreturn]] void fail(const std::string& name, const std::string& message) const;
  std::string where(const std::string& name) const;
  const std::string& section() const { return section_; }
  const std::map<std::string, Value>& values() const { return values_; }
  // Replace one value (e.g. sigma_max = "auto" resolved from data); keeps its position.
  void set(const std::string& name, Value value);

 private:
  const Value& at(const std::string& name) const;
  std::string section_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::string> where_;
};

}  // namespace scoregen
