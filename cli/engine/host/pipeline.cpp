// TOML pipelines (toml++): parse, apply --set overrides, migrate renamed keys, validate each table against its
// declaration (types, allowed values, ranges, plugin-valued options whose plugins add their own keys).
#include "engine/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/files.hpp"
#include "engine/pipeline_raw.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\u{:04x}", u);
    else out += c;
  }
  return out + "\"";
}

namespace {

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

Value convert(const toml::node& n, const OptionSpec& spec, const std::vector<std::string>& choices) {
  const char* what = type_name(spec.type);
  switch (spec.type) {
    case OptionType::Integer: {
      if (!n.is_integer()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
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
      if (!n.is_boolean()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      return n.as_boolean()->get();
    case OptionType::String: {
      if (!n.is_string()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
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
      if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
      std::vector<std::int64_t> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_integer()) throw ConvertError{fmt::format("expected {}, got an element of type {}", what, node_type_name(e))};
        out.push_back(e.as_integer()->get());
        check_range(n, spec, static_cast<double>(out.back()), out.size() - 1, true);
      }
      return out;
    }
    case OptionType::RealMatrix: {
      if (!n.is_array()) throw ConvertError{fmt::format("expected {}, got {}", what, node_type_name(n))};
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

std::vector<std::string> section_names() {
  std::vector<std::string> out;
  for (const auto& s : pipeline_sections())
    if (!s.name.empty()) out.push_back(s.name);
  return out;
}

[[noreturn]] void unknown_section(const std::string& where, const std::string& name) {
  throw Error(fmt::format("{}: unknown section [{}]{}; sections are: {}", where, name,
                          did_you_mean(name, section_names(), "[", "]"), fmt::join(section_names(), ", ")));
}

// The allowed values of a plugin-valued option: the loaded plugins of its kind (and "none").
std::vector<std::string> plugin_choices(const OptionSpec& spec, const Registry& registry) {
  std::vector<std::string> names = registry.names(*spec.plugin_kind);
  if (spec.none_allowed) names.push_back("none");
  return names;
}

// The declared options of a table: its own, then those of each plugin its plugin-valued options choose.
// `choice(spec)` gives the chosen name.
template <class Choice>
std::vector<OptionSpec> expand(std::vector<OptionSpec> options, const Registry& registry, Choice choice) {
  for (std::size_t i = 0; i < options.size(); ++i) {
    const OptionSpec spec = options[i];
    if (!spec.plugin_kind) continue;
    const std::string chosen = choice(spec);
    if (chosen == "none") continue;
    if (const PluginInfo* p = registry.find(*spec.plugin_kind, chosen)) {
      for (const auto& o : p->options) {
        auto clash = std::find_if(options.begin(), options.end(), [&](const OptionSpec& e) { return e.name == o.name; });
        if (clash != options.end())
          throw Error(fmt::format("{} plugin '{}' ({}) declares option '{}', which its table already has",
                                  kind_name(p->kind), p->name, p->library, o.name));
        options.push_back(o);
      }
    }
  }
  return options;
}

std::string default_string(const OptionSpec& spec) {
  const auto* s = std::get_if<std::string>(&spec.default_value);
  return s ? *s : std::string();
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates, const char* open,
                         const char* close) {
  const std::string* best = nullptr;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = &c;
  }
  return best ? fmt::format(" (did you mean {}{}{}?)", open, *best, close) : std::string();
}

namespace {
// A name people give a step count.
bool steps_name(const std::string& key) {
  for (const char* n : {"steps", "n_steps", "num_steps", "nsteps", "n_iter", "N", "iterations"})
    if (key == n) return true;
  return false;
}
}  // namespace

std::string suggest_key(const std::string& key, const std::vector<OptionSpec>& options,
                        const std::vector<std::string>& declared) {
  // Only among keys of the same meaning: a step-count name is pointed at the table's step count (what --steps
  // sets), never at a look-alike that counts something else (pc's n_steps are corrector steps per time step).
  if (steps_name(key)) {
    for (const auto& o : options)
      if (o.step_count && o.step_target.empty()) return fmt::format(" (the step count here is '{}', which --steps sets)", o.name);
    for (const auto& o : options)
      if (o.step_count) return fmt::format(" (the step count here is {}, which --steps sets)", o.step_target);
    return "";
  }
  std::vector<std::string> same;
  for (const auto& d : declared)
    if (!steps_name(d)) same.push_back(d);
  return did_you_mean(key, same);
}

std::string section_label(const std::string& name) { return name.empty() ? std::string("top level") : "[" + name + "]"; }

const toml::node* RawPipeline::string_node(const std::string& value) {
  auto tbl = std::make_unique<toml::table>();
  tbl->insert_or_assign("v", value);
  const toml::node* n = tbl->get("v");
  owned.push_back(std::move(tbl));
  return n;
}

const SectionSpec* find_section(const std::string& name) {
  for (const auto& s : pipeline_sections())
    if (s.name == name) return &s;
  return nullptr;
}

bool holds_default(const std::string& section, const Options& settings, const std::string& key) {
  for (const OptionSpec& spec : find_section(section)->options)
    if (spec.name == key) return settings.values().at(key) == spec.default_value;
  return true;
}

Pipeline Pipeline::load(const std::string& path, const std::vector<std::string>& overrides, const Registry& registry,
                        const OverrideLabels& labels) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(fmt::format("{}: cannot open pipeline file: no such file", path));
  return parse(read_file(path), path, overrides, registry, PipelineOrigin::File, labels);
}

Pipeline Pipeline::parse(const std::string& text, const std::string& source_name,
                         const std::vector<std::string>& overrides, const Registry& registry, PipelineOrigin origin,
                         const OverrideLabels& labels) {
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}: {}", position(source_name, e.source()), e.description()));
  }

  // Gather the file's keys per section; root scalars go to section "". Unknown sections are reported after the
  // migration of renamed ones.
  RawPipeline raw;
  raw.sections[""].where = source_name;
  for (auto&& [key, node] : doc) {
    std::string k(key.str());
    std::string where = position(source_name, key.source());
    if (node.is_table()) {
      RawSection& sec = raw.sections[k];
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
      raw.sections[""].entries[k] = Entry{&node, position(source_name, node.source()), where};
    }
  }
  migrate(raw, origin, registry);
  for (const auto& [name, sec] : raw.sections)
    if (!find_section(name)) unknown_section(sec.where, name);

  // --set section.key=value: the value is TOML text; a bare word is taken as a string.
  // `--set sampler=NAME` (a plugin section without a key) replaces the whole table: the new plugin with its
  // defaults. These are applied first, so `--set sampler.steps=20` refines the new choice.
  auto label = [&](const std::string& ov) {
    auto it = labels.find(ov);
    return it != labels.end() ? it->second : fmt::format("--set {}", ov);
  };
  std::vector<std::string> ordered;
  for (const auto& ov : overrides) {
    // one key and one value: a line break would let the text add tables of its own, which would be dropped
    if (std::any_of(ov.begin(), ov.end(), [](char c) { return c == '\n' || c == '\r'; }))
      throw Error(fmt::format("{}: one section.key=value on one line (a line break in the value; TOML's \\n "
                              "writes one inside a string)", label(ov).substr(0, label(ov).find_first_of("\r\n"))));
    auto eq = ov.find('=');
    const SectionSpec* spec = eq == std::string::npos ? nullptr : find_section(ov.substr(0, eq));
    if (spec && spec->kind) {
      std::string name = ov.substr(eq + 1);
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
      RawSection& sec = raw.sections[ov.substr(0, eq)];
      sec.entries.clear();
      sec.replaced.clear();
      sec.where = label(ov);
      sec.entries["plugin"] = Entry{raw.string_node(name), sec.where, sec.where, true};
    } else {
      ordered.push_back(ov);
    }
  }
  for (const auto& ov : ordered) {
    std::string where = label(ov);
    auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(fmt::format("{}: expected section.key=value", where));
    std::string path = ov.substr(0, eq), value = ov.substr(eq + 1);
    auto dot = path.find('.');
    std::string section = dot == std::string::npos ? std::string() : path.substr(0, dot);
    std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
    if (!section.empty() && !find_section(section)) unknown_section(where, section);
    auto tbl = std::make_unique<toml::table>();
    try {
      *tbl = toml::parse("v = " + value, where);
    } catch (const toml::parse_error&) {
      *tbl = toml::table{};
      tbl->insert_or_assign("v", value);
    }
    RawSection& sec = raw.sections[section];
    if (auto old = sec.entries.find(key); old != sec.entries.end() && !old->second.from_override)
      sec.replaced[key] = old->second;
    sec.entries[key] = Entry{tbl->get("v"), where, where, true};
    if (sec.where.empty()) sec.where = where;
    raw.owned.push_back(std::move(tbl));
  }

  Pipeline p;
  p.source_ = source_name;
  p.registry_ = &registry;
  for (auto& named : raw.sections) {  // not structured bindings: the lambdas below use them (clang's C++17)
    const std::string& name = named.first;
    auto& sec = named.second;
    const SectionSpec* spec = find_section(name);
    std::vector<OptionSpec> base = spec->options;
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
      base = plugin->options;
      sec.entries.erase(it);
    }
    // What the table's plugin-valued options choose now, and what the file chose before a --set replaced them:
    // keys of a replaced choice that the new one does not take are dropped with it.
    auto chosen_now = [&](const OptionSpec& o) {
      auto e = sec.entries.find(o.name);
      return e != sec.entries.end() && e->second.node->is_string() ? std::string(e->second.node->as_string()->get())
                                                                   : default_string(o);
    };
    std::vector<OptionSpec> options = expand(base, registry, chosen_now);
    std::set<std::string> stale;
    // A stored pipeline may keep the options of a sub-plugin it did not choose (pc's snr with corrector = "none"):
    // they never had an effect, and are dropped.
    if (origin == PipelineOrigin::Stored)
      for (const auto& o : base)
        if (o.plugin_kind)
          for (const auto* info : registry.all())
            if (info->kind == *o.plugin_kind)
              for (const auto& spec : info->options) stale.insert(spec.name);
    for (const auto& replaced : sec.replaced) {
      const std::string& key = replaced.first;
      const auto& old = replaced.second;
      auto o = std::find_if(base.begin(), base.end(), [&](const OptionSpec& s) { return s.name == key; });
      if (o == base.end() || !o->plugin_kind || !old.node->is_string()) continue;
      if (const PluginInfo* before = registry.find(*o->plugin_kind, std::string(old.node->as_string()->get())))
        for (const auto& s : before->options) stale.insert(s.name);
    }
    std::vector<std::string> declared;
    for (const auto& o : options) declared.push_back(o.name);
    if (name.empty())
      for (const auto& s : section_names()) declared.push_back(s);
    for (auto it = sec.entries.begin(); it != sec.entries.end();) {
      const std::string& key = it->first;
      const Entry& entry = it->second;
      if (std::find(declared.begin(), declared.end(), key) != declared.end()) {
        ++it;
        continue;
      }
      if (!entry.from_override && stale.count(key)) {
        it = sec.entries.erase(it);
        continue;
      }
      std::string owner = plugin ? fmt::format("{} plugin '{}'", kind_name(plugin->kind), plugin->name) : section_label(name);
      throw Error(fmt::format("{}: {} unknown key '{}'{}; {} takes: {}", entry.key_where, section_label(name), key,
                              suggest_key(key, options, declared), owner,
                              options.empty() ? std::string("no keys") : fmt::format("{}", fmt::join(declared, ", "))));
    }
    std::map<std::string, Value> values;
    std::map<std::string, std::string> where;
    for (const auto& o : options) {
      auto it = sec.entries.find(o.name);
      std::vector<std::string> choices = o.plugin_kind ? plugin_choices(o, registry) : o.choices;
      if (it == sec.entries.end()) {
        if (o.is_required())
          throw Error(fmt::format("{}: {} missing required key '{}' ({}: {})", sec.where, section_label(name), o.name,
                                  type_name(o.type), o.help));
        values[o.name] = o.default_value;
        continue;
      }
      try {
        values[o.name] = convert(*it->second.node, o, choices);
      } catch (const ConvertError& e) {
        bool in_file = e.at && e.at->source().begin.line != 0 && !it->second.from_override;
        std::string at = in_file ? position(source_name, e.at->source()) : it->second.where;
        throw Error(fmt::format("{}: {} {}: {}", at, section_label(name), o.name, e.message));
      }
      // A value in the file that an override replaced is still the user's mistake: named, not hidden by the flag.
      if (auto hidden = sec.replaced.find(o.name); hidden != sec.replaced.end()) {
        try {
          convert(*hidden->second.node, o, choices);
        } catch (const ConvertError& e) {
          const bool at_value = e.at && e.at->source().begin.line != 0;
          throw Error(fmt::format("{}: {} {}: {} (the file's value, which {} overrides; fix or remove it)",
                                  at_value ? position(source_name, e.at->source()) : hidden->second.where,
                                  section_label(name), o.name, e.message, it->second.where));
        }
      }
      where[o.name] = it->second.where;
    }
    std::vector<std::string> files;
    for (const auto& o : options)
      if (o.is_input_file) files.push_back(o.name);
    p.sections_[name] = Section{Options(name, std::move(values), std::move(where)), plugin, std::move(files)};
  }
  return p;
}

std::vector<std::pair<std::string, std::string>> Pipeline::input_files() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, section] : sections_)
    for (const auto& key : section.file_keys)
      if (section.options.has(key) && !section.options.string(key).empty())
        out.emplace_back(fmt::format("[{}] {}", name, key), section.options.string(key));
  return out;
}

void Pipeline::anchor_files(const std::string& base_dir) {
  if (base_dir.empty()) return;
  for (auto& [name, section] : sections_)
    for (const auto& key : section.file_keys) {
      if (!section.options.has(key)) continue;
      const std::string value = section.options.string(key);
      BuildContext where;
      where.base_dir = base_dir;
      if (const std::string found = where.file(value); found != value)  // read from the pipeline's folder
        section.options.set(key, std::filesystem::absolute(found).lexically_normal().string());
    }
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

void Pipeline::add_default(const std::string& section, const std::string& plugin) {
  if (has(section)) return;
  const SectionSpec* spec = find_section(section);
  const PluginInfo* info = spec && spec->kind ? registry_->find(*spec->kind, plugin) : nullptr;
  if (!info) throw Error(fmt::format("no default plugin '{}' for [{}] is loaded", plugin, section));
  std::map<std::string, Value> values;
  for (const auto& o : info->options) values[o.name] = o.default_value;
  sections_[section] = Section{Options(section, std::move(values), {}), info};
}

const PluginInfo& Pipeline::plugin(const std::string& section, const std::string& needed_by) const {
  auto it = sections_.find(section);
  if (it == sections_.end() || !it->second.plugin)
    throw Error(fmt::format("{}: no [{}] section choosing a plugin{}{}", source_, section,
                            needed_by.empty() ? std::string() : fmt::format(" (needed by {})", needed_by),
                            section == "sampler" ? "; there is no default sampler: add [sampler] plugin = \"NAME\" or "
                                                   "give --sampler NAME (scoregen plugins lists them)"
                                                 : ""));
  return *it->second.plugin;
}

std::shared_ptr<Component> Pipeline::create(const std::string& section, BuildContext ctx, const std::string& needed_by) const {
  const PluginInfo& info = plugin(section, needed_by);
  if (!ctx.builder) ctx.builder = registry_->builder();
  return info.factory(options(section), ctx);
}

void Pipeline::wrong_interface(const std::string& section) const {
  const PluginInfo& info = plugin(section);
  throw Error(fmt::format("{}: plugin '{}' from {} did not build a {} object (a broken plugin)", source_, info.name,
                          info.library, kind_name(info.kind)));
}

std::vector<TableDifference> compare_tables(const Pipeline& now, const Pipeline& then, const std::string& section) {
  std::vector<TableDifference> out;
  if (!now.has(section) || !then.has(section)) return out;
  const Options& a = now.options(section);
  auto where = [&](const std::string& key) {
    std::string w = a.where(key);
    return w.empty() ? fmt::format("{} (default)", now.source()) : w;
  };
  const SectionSpec* spec = find_section(section);
  if (spec && spec->kind && now.plugin(section).name != then.plugin(section).name) {
    out.push_back({section, "plugin", fmt::format("\"{}\"", now.plugin(section).name),
                   fmt::format("\"{}\"", then.plugin(section).name), where("plugin")});
    return out;
  }
  for (const auto& [key, value] : then.options(section).values()) {
    auto it = a.values().find(key);
    if (it == a.values().end() || it->second == value) continue;
    out.push_back({section, key, scoregen::to_toml(it->second), scoregen::to_toml(value), where(key)});
  }
  return out;
}

std::string pipeline_with_sections(const std::string& path, const std::string& other,
                                   const std::vector<std::string>& sections) {
  const std::string text = read_file(path);
  toml::table mine, theirs;
  try {
    mine = toml::parse(text, path);
    theirs = toml::parse(other);
  } catch (const toml::parse_error&) {
    return text;
  }
  bool added = false;
  for (const std::string& section : sections)
    if (!mine.contains(section) && theirs.contains(section)) {
      mine.insert(section, *theirs.get(section));
      added = true;
    }
  if (!added) return text;
  std::ostringstream out;
  out << mine;
  return out.str() + "\n";
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

}  // namespace scoregen::engine
