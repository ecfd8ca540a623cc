// TOML pipelines (toml++): parse, apply --set overrides, validate each table against its declaration.
#include "scoregen/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "scoregen/error.hpp"

namespace scoregen {

namespace {

// One key's value and where it came from ("file:line:col" or "--set a.b=c").
struct Entry {
  const toml::node* node;
  std::string where;      // the value's position
  std::string key_where;  // the key's position
};
struct RawSection {
  std::string where;  // the table header's position
  std::map<std::string, Entry> entries;
};

std::string position(const std::string& source, const toml::source_region& region) {
  if (region.begin.line == 0) return source;
  return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within a few edits, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const char* open = "'", const char* close = "'") {
  const std::string* best = nullptr;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = &c;
  }
  return best ? fmt::format(" (did you mean {}{}{}?)", open, *best, close) : std::string();
}

const char* node_type_name(const toml::node& n) {
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

struct ConvertError {
  std::string message;
  const toml::node* at = nullptr;  // the offending array element, when it is one
};

double to_real(const toml::node& n, const char* what) {
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  if (!n.is_floating_point()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n)), &n};
  double v = n.as_floating_point()->get();
  if (!std::isfinite(v)) throw ConvertError{fmt::format("expected a finite number, got {}", v), &n};
  return v;
}

std::vector<double> to_reals(const toml::node& n, const char* what) {
  if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
  std::vector<double> out;
  for (const auto& e : *n.as_array()) out.push_back(to_real(e, what));
  return out;
}

Value convert(const toml::node& n, const OptionSpec& spec) {
  const char* what = type_name(spec.type);
  switch (spec.type) {
    case OptionType::Integer:
      if (!n.is_integer()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      return n.as_integer()->get();
    case OptionType::Real: return to_real(n, what);
    case OptionType::Boolean:
      if (!n.is_boolean()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      return n.as_boolean()->get();
    case OptionType::String: {
      if (!n.is_string()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      std::string s = n.as_string()->get();
      if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end())
        throw ConvertError{fmt::format("'{}' is not one of: {}{}", s, fmt::join(spec.choices, ", "),
                                       did_you_mean(s, spec.choices))};
      return s;
    }
    case OptionType::RealList: return to_reals(n, what);
    case OptionType::IntegerList: {
      if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      std::vector<std::int64_t> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_integer()) throw ConvertError{fmt::format("expected {}, got an element of type {}", what, node_type_name(e))};
        out.push_back(e.as_integer()->get());
      }
      return out;
    }
    case OptionType::RealMatrix: {
      if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      std::vector<std::vector<double>> out;
      for (const auto& row : *n.as_array()) out.push_back(to_reals(row, what));
      return out;
    }
    case OptionType::RealOrAuto:
      if (n.is_string()) {
        if (n.as_string()->get() != "auto")
          throw ConvertError{fmt::format("expected {}, got the string \"{}\"", what, n.as_string()->get())};
        return std::string("auto");
      }
      return to_real(n, what);
  }
  throw ConvertError{"unsupported option type"};
}

const SectionSpec* find_section(const std::string& name) {
  for (const auto& s : pipeline_sections())
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> section_names() {
  std::vector<std::string> out;
  for (const auto& s : pipeline_sections())
    if (!s.name.empty()) out.push_back(s.name);
  return out;
}

std::string section_label(const std::string& name) { return name.empty() ? std::string("top level") : "[" + name + "]"; }

}  // namespace

Pipeline Pipeline::load(const std::string& path, const std::vector<std::string>& overrides, const Registry& registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open pipeline file", path));
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, overrides, registry);
}

Pipeline Pipeline::parse(const std::string& text, const std::string& source_name,
                         const std::vector<std::string>& overrides, const Registry& registry) {
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}: {}", position(source_name, e.source()), e.description()));
  }

  // Gather the file's keys per section; root scalars go to section "".
  std::map<std::string, RawSection> raw;
  raw[""].where = source_name;
  for (auto&& [key, node] : doc) {
    std::string k(key.str());
    std::string where = position(source_name, key.source());
    if (node.is_table()) {
      if (!find_section(k))
        throw Error(fmt::format("{}: unknown section [{}]{}; sections are: {}", where, k,
                                did_you_mean(k, section_names(), "[", "]"), fmt::join(section_names(), ", ")));
      RawSection& sec = raw[k];
      sec.where = where;
      for (auto&& [sub, value] : *node.as_table()) {
        if (value.is_table())
          throw Error(fmt::format("{}: [{}] {}: nested tables are not allowed here", position(source_name, sub.source()),
                                  k, sub.str()));
        sec.entries[std::string(sub.str())] =
            Entry{&value, position(source_name, value.source()), position(source_name, sub.source())};
      }
    } else if (node.is_array() && find_section(k)) {
      throw Error(fmt::format("{}: [{}] must be a table, not an array of tables", where, k));
    } else {
      raw[""].entries[k] = Entry{&node, position(source_name, node.source()), where};
    }
  }

  // --set section.key=value: the value is TOML text; a bare word is taken as a string.
  std::vector<std::unique_ptr<toml::table>> owned;
  // `--set sampler=NAME` (a plugin section without a key) replaces the whole table: the new plugin with its
  // defaults. These are applied first, so `--set sampler.steps=20` refines the new choice.
  std::vector<std::string> ordered;
  for (const auto& ov : overrides) {
    auto eq = ov.find('=');
    const SectionSpec* spec = eq == std::string::npos ? nullptr : find_section(ov.substr(0, eq));
    if (spec && spec->kind) {
      std::string name = ov.substr(eq + 1);
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
      RawSection& sec = raw[ov.substr(0, eq)];
      sec.entries.clear();
      sec.where = fmt::format("--set {}", ov);
      auto tbl = std::make_unique<toml::table>();
      tbl->insert_or_assign("v", name);
      sec.entries["plugin"] = Entry{tbl->get("v"), sec.where, sec.where};
      owned.push_back(std::move(tbl));
    } else {
      ordered.push_back(ov);
    }
  }
  for (const auto& ov : ordered) {
    std::string where = fmt::format("--set {}", ov);
    auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(fmt::format("{}: expected section.key=value", where));
    std::string path = ov.substr(0, eq), value = ov.substr(eq + 1);
    auto dot = path.find('.');
    std::string section = dot == std::string::npos ? std::string() : path.substr(0, dot);
    std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
    if (!section.empty() && !find_section(section))
      throw Error(fmt::format("{}: unknown section [{}]{}; sections are: {}", where, section,
                              did_you_mean(section, section_names(), "[", "]"), fmt::join(section_names(), ", ")));
    auto tbl = std::make_unique<toml::table>();
    try {
      *tbl = toml::parse("v = " + value, where);
    } catch (const toml::parse_error&) {
      *tbl = toml::table{};
      tbl->insert_or_assign("v", value);
    }
    raw[section].entries[key] = Entry{tbl->get("v"), where, where};
    if (raw[section].where.empty()) raw[section].where = where;
    owned.push_back(std::move(tbl));
  }

  Pipeline p;
  p.source_ = source_name;
  for (auto& [name, sec] : raw) {
    const SectionSpec* spec = find_section(name);
    const std::vector<OptionSpec>* options = &spec->options;
    const PluginInfo* plugin = nullptr;
    if (spec->kind) {
      const char* kind = kind_name(*spec->kind);
      std::vector<std::string> available = registry.names(*spec->kind);
      auto it = sec.entries.find("plugin");
      if (it == sec.entries.end())
        throw Error(fmt::format("{}: [{}] missing key 'plugin' (available {} plugins: {})", sec.where, name, kind,
                                fmt::join(available, ", ")));
      if (!it->second.node->is_string())
        throw Error(fmt::format("{}: [{}] plugin: expected string, got {}", it->second.where, name,
                                node_type_name(*it->second.node)));
      std::string chosen = it->second.node->as_string()->get();
      plugin = registry.find(*spec->kind, chosen);
      if (!plugin)
        throw Error(fmt::format("{}: [{}] unknown {} plugin '{}'{}; available: {}", it->second.where, name, kind, chosen,
                                did_you_mean(chosen, available), fmt::join(available, ", ")));
      options = &plugin->options;
      sec.entries.erase(it);
    }
    std::vector<std::string> declared;
    for (const auto& o : *options) declared.push_back(o.name);
    if (name.empty())
      for (const auto& s : section_names()) declared.push_back(s);
    for (const auto& [key, entry] : sec.entries) {
      auto match = std::find_if(options->begin(), options->end(), [&](const OptionSpec& o) { return o.name == key; });
      if (match == options->end()) {
        std::string owner = plugin ? fmt::format("{} plugin '{}'", kind_name(plugin->kind), plugin->name)
                                   : section_label(name);
        throw Error(fmt::format("{}: {} unknown key '{}'{}; {} takes: {}", entry.key_where, section_label(name), key,
                                did_you_mean(key, declared), owner,
                                options->empty() ? std::string("no keys") : fmt::format("{}", fmt::join(declared, ", "))));
      }
    }
    std::map<std::string, Value> values;
    std::map<std::string, std::string> where;
    for (const auto& o : *options) {
      auto it = sec.entries.find(o.name);
      if (it == sec.entries.end()) {
        if (o.required())
          throw Error(fmt::format("{}: {} missing required key '{}' ({}: {})", sec.where, section_label(name), o.name,
                                  type_name(o.type), o.help));
        values[o.name] = o.default_value;
        continue;
      }
      try {
        values[o.name] = convert(*it->second.node, o);
      } catch (const ConvertError& e) {
        bool in_file = e.at && e.at->source().begin.line != 0 && it->second.where != it->second.key_where;
        std::string at = in_file ? position(source_name, e.at->source()) : it->second.where;
        throw Error(fmt::format("{}: {} {}: {}", at, section_label(name), o.name, e.message));
      }
      where[o.name] = it->second.where;
    }
    p.sections_[name] = Section{Options(name, std::move(values), std::move(where)), plugin};
  }
  return p;
}

bool Pipeline::has(const std::string& section) const { return sections_.count(section) != 0; }

const Options& Pipeline::options(const std::string& section, const std::string& needed_by) const {
  auto it = sections_.find(section);
  if (it != sections_.end()) return it->second.options;
  // Command sections may be absent: their defaults apply.
  const SectionSpec* spec = find_section(section);
  if (spec && !spec->kind) {
    static std::map<std::string, Options> defaults;
    auto d = defaults.find(section);
    if (d == defaults.end()) {
      std::map<std::string, Value> values;
      for (const auto& o : spec->options) values[o.name] = o.default_value;
      d = defaults.emplace(section, Options(section, values, {})).first;
    }
    return d->second;
  }
  throw Error(fmt::format("{}: no [{}] section{}", source_, section,
                          needed_by.empty() ? std::string() : fmt::format(" (needed by {})", needed_by)));
}

Options& Pipeline::mutable_options(const std::string& section) {
  auto it = sections_.find(section);
  if (it == sections_.end()) throw Error(fmt::format("{}: no [{}] section", source_, section));
  return it->second.options;
}

const PluginInfo& Pipeline::plugin(const std::string& section, const std::string& needed_by) const {
  auto it = sections_.find(section);
  if (it == sections_.end() || !it->second.plugin)
    throw Error(fmt::format("{}: no [{}] section choosing a plugin{}", source_, section,
                            needed_by.empty() ? std::string() : fmt::format(" (needed by {})", needed_by)));
  return *it->second.plugin;
}

std::shared_ptr<Component> Pipeline::create(const std::string& section, const BuildContext& ctx,
                                            const std::string& needed_by) const {
  const PluginInfo& info = plugin(section, needed_by);
  return info.factory(options(section), ctx);
}

void Pipeline::wrong_interface(const std::string& section) const {
  const PluginInfo& info = plugin(section);
  throw Error(fmt::format("{}: plugin '{}' from {} did not build a {} object (a broken plugin)", source_, info.name,
                          info.library, kind_name(info.kind)));
}

std::string Pipeline::to_toml() const {
  std::string out;
  auto emit = [&](const std::string& name, const Section& sec) {
    if (!name.empty()) out += fmt::format("\n[{}]\n", name);
    if (sec.plugin) out += fmt::format("plugin = \"{}\"\n", sec.plugin->name);
    for (const auto& [k, v] : sec.options.values())
      if (!std::holds_alternative<std::monostate>(v)) out += fmt::format("{} = {}\n", k, scoregen::to_toml(v));
  };
  auto root = sections_.find("");
  if (root != sections_.end()) emit("", root->second);
  for (const auto& [name, sec] : sections_)
    if (!name.empty()) emit(name, sec);
  return out;
}

}  // namespace scoregen
