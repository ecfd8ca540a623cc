// Declared plugin options: each option named once, bound to a member of the plugin's settings struct, with its
// type, default, help, allowed values and range; and the validated table a component receives.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "scoregen/api.hpp"

namespace scoregen {

// An extension point. A pipeline table chooses a plugin of its kind with `plugin = "name"`; a plugin-valued option
// (the pc sampler's predictor and corrector) chooses one inside a table. A kind is data, its name and its place in
// listings: a new kind is one more constant below, and nothing else enumerates them.
class PluginKind {
 public:
  constexpr PluginKind(const char* name, int order) : name_(name), order_(order) {}
  constexpr const char* name() const { return name_; }
  bool operator==(const PluginKind& other) const { return std::strcmp(name_, other.name_) == 0; }
  bool operator!=(const PluginKind& other) const { return !(*this == other); }
  // listing order: by `order`, then by name
  bool operator<(const PluginKind& other) const {
    return order_ != other.order_ ? order_ < other.order_ : std::strcmp(name_, other.name_) < 0;
  }

  static const PluginKind Sde, Network, Sampler, Predictor, Corrector, Objective, Guidance, Dataset;

 private:
  const char* name_;
  int order_;
};
inline constexpr PluginKind PluginKind::Sde{"sde", 0};
inline constexpr PluginKind PluginKind::Network{"network", 1};
inline constexpr PluginKind PluginKind::Sampler{"sampler", 2};
inline constexpr PluginKind PluginKind::Predictor{"predictor", 3};
inline constexpr PluginKind PluginKind::Corrector{"corrector", 4};
inline constexpr PluginKind PluginKind::Objective{"objective", 5};
inline constexpr PluginKind PluginKind::Guidance{"guidance", 6};
inline constexpr PluginKind PluginKind::Dataset{"dataset", 7};
inline const char* kind_name(PluginKind kind) { return kind.name(); }

enum class OptionType { Integer, Real, Boolean, String, RealList, IntegerList, RealMatrix, RealOrAuto };
SCOREGEN_API const char* type_name(OptionType type);

// A typed option value; std::monostate means "no value" (a required option's default).
using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string, std::vector<double>,
                           std::vector<std::int64_t>, std::vector<std::vector<double>>>;

// Bounds on a number (on every element of a list): checked when the pipeline is read, printed by `plugins info`.
struct Range {
  std::optional<double> min, max;
  bool min_open = false, max_open = false;  // > instead of >=, < instead of <=
  bool empty() const { return !min && !max; }
  // "" when v is inside, else "must be >= 2" (or "> 0", "in [0, 1)").
  SCOREGEN_API std::string violation(double v) const;
  SCOREGEN_API std::string text() const;
};

// One option as a plugin (or a command table) declares it.
struct SCOREGEN_API OptionSpec {
  std::string name;
  OptionType type = OptionType::Real;
  Value default_value;               // monostate: required
  std::string help;
  std::vector<std::string> choices;  // allowed values of a String option (empty: any)
  Range range;
  // A String option naming a plugin of this kind; the chosen plugin's own options join the same table.
  std::optional<PluginKind> plugin_kind;
  bool none_allowed = false;  // with plugin_kind: "none" chooses no plugin
  // A sampler's step count: `--steps N` sets this option, or the key step_target names ("sde.N"); step_note tells
  // the user how --steps was read when that may surprise.
  bool step_count = false;
  std::string step_target, step_note;
  // A String option naming a file or folder the plugin reads (relative: from the pipeline's folder): records hash
  // it (SHA-256), so that a rerun knows when it changed.
  bool is_input_file = false;

  bool is_required() const { return std::holds_alternative<std::monostate>(default_value); }
  // Builders, chained after a declaration: .at_least(2), .above(0), .one_of({...}), .required().
  OptionSpec& at_least(double v);
  OptionSpec& above(double v);
  OptionSpec& at_most(double v);
  OptionSpec& below(double v);
  OptionSpec& one_of(std::vector<std::string> values);
  OptionSpec& required();
  OptionSpec& names_plugin(PluginKind kind, bool allow_none);
  OptionSpec& takes_steps(std::string target = "", std::string note = "");
  OptionSpec& reads_file();
};

// Free-standing declarations (command tables, tests).
namespace opt {
SCOREGEN_API OptionSpec integer(std::string name, std::int64_t def, std::string help);
SCOREGEN_API OptionSpec real(std::string name, double def, std::string help);
SCOREGEN_API OptionSpec boolean(std::string name, bool def, std::string help);
SCOREGEN_API OptionSpec string(std::string name, std::string def, std::string help,
                               std::vector<std::string> choices = {});
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
  // Replace one value as a flag resolved after the file was read gave it (--steps): errors name `where`.
  void set(const std::string& name, Value value, std::string where);

 private:
  const Value& at(const std::string& name) const;
  std::string section_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::string> where_;
};

// A float option that may also be the string "auto" (resolved by the host before the plugin is built).
struct RealOrAuto {
  double value = 0.0;
  bool automatic = false;
};

// How a member type maps to an option type (the types a settings struct may hold).
template <class T>
struct OptionTraits;
template <>
struct OptionTraits<std::int64_t> {
  static constexpr OptionType type = OptionType::Integer;
  static Value to_value(std::int64_t v) { return v; }
  static std::int64_t read(const Options& o, const std::string& n) { return o.integer(n); }
};
template <>
struct OptionTraits<double> {
  static constexpr OptionType type = OptionType::Real;
  static Value to_value(double v) { return v; }
  static double read(const Options& o, const std::string& n) { return o.real(n); }
};
template <>
struct OptionTraits<bool> {
  static constexpr OptionType type = OptionType::Boolean;
  static Value to_value(bool v) { return v; }
  static bool read(const Options& o, const std::string& n) { return o.boolean(n); }
};
template <>
struct OptionTraits<std::string> {
  static constexpr OptionType type = OptionType::String;
  static Value to_value(const std::string& v) { return v; }
  static std::string read(const Options& o, const std::string& n) { return o.string(n); }
};
template <>
struct OptionTraits<std::vector<double>> {
  static constexpr OptionType type = OptionType::RealList;
  static Value to_value(const std::vector<double>& v) { return v; }
  static std::vector<double> read(const Options& o, const std::string& n) { return o.reals(n); }
};
template <>
struct OptionTraits<std::vector<std::int64_t>> {
  static constexpr OptionType type = OptionType::IntegerList;
  static Value to_value(const std::vector<std::int64_t>& v) { return v; }
  static std::vector<std::int64_t> read(const Options& o, const std::string& n) { return o.integers(n); }
};
template <>
struct OptionTraits<std::vector<std::vector<double>>> {
  static constexpr OptionType type = OptionType::RealMatrix;
  static Value to_value(const std::vector<std::vector<double>>& v) { return v; }
  static std::vector<std::vector<double>> read(const Options& o, const std::string& n) { return o.matrix(n); }
};
template <>
struct OptionTraits<RealOrAuto> {
  static constexpr OptionType type = OptionType::RealOrAuto;
  static Value to_value(const RealOrAuto& v) { return v.automatic ? Value(std::string("auto")) : Value(v.value); }
  static RealOrAuto read(const Options& o, const std::string& n) {
    return o.is_auto(n) ? RealOrAuto{0.0, true} : RealOrAuto{o.real(n), false};
  }
};

// A plugin's settings struct S declared member by member (PDAL's ProgramArgs idea): the declaration gives the
// name, help and bounds once, the default is the member's initial value, and bind() fills an S from the
// validated table.
//   struct Settings { std::int64_t steps = 20; double rho = 7.0; };
//   static void declare(Declaration<Settings>& d) {
//     d(&Settings::steps, "steps", "number of steps").at_least(2);
//     d(&Settings::rho, "rho", "schedule exponent").above(0);
//   }
template <class S>
class Declaration {
 public:
  template <class T>
  OptionSpec& operator()(T S::*member, std::string name, std::string help) {
    specs_.push_back(OptionSpec{name, OptionTraits<T>::type, OptionTraits<T>::to_value(defaults_.*member), std::move(help)});
    setters_.push_back([member, name](S& s, const Options& o) { s.*member = OptionTraits<T>::read(o, name); });
    return specs_.back();
  }
  std::vector<OptionSpec> specs() const { return {specs_.begin(), specs_.end()}; }
  S bind(const Options& o) const {
    S s = defaults_;
    for (const auto& set : setters_) set(s, o);
    return s;
  }

 private:
  S defaults_{};
  std::deque<OptionSpec> specs_;  // stable references for the chained builders
  std::vector<std::function<void(S&, const Options&)>> setters_;
};

}  // namespace scoregen
