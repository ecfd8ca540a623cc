// TOML pipelines (toml++): read the tables, then validate each against its declaration (types, allowed values,
// ranges, plugin-valued options whose plugins add their own keys); the overrides and the values' conversions are
// pipeline_overrides.cpp and pipeline_values.cpp, renamed keys pipeline_migration.cpp.
#include "engine/host/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/pipeline_raw.hpp"
#include "engine/io/files.hpp"
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

Pipeline Pipeline::load(const std::string& path, const Overrides& overrides, const Registry& registry) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(fmt::format("{}: cannot open pipeline file: no such file", path));
  return parse(read_file(path), path, overrides, registry, PipelineOrigin::File);
}

RawPipeline read_tables(const std::string& text, const std::string& source_name) {
  RawPipeline raw;
  auto doc = std::make_unique<toml::table>();
  try {
    *doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}: {}", toml_position(source_name, e.source()), e.description()));
  }
  // root scalars go to section ""; unknown sections are reported after the migration of renamed ones
  raw.sections[""].where = source_name;
  for (auto&& [key, node] : *doc) {
    std::string k(key.str());
    std::string where = toml_position(source_name, key.source());
    if (node.is_table()) {
      RawSection& sec = raw.sections[k];
      sec.where = where;
      for (auto&& [sub, value] : *node.as_table()) {
        if (value.is_table())
          throw Error(fmt::format("{}: [{}] {}: nested tables are not allowed here", toml_position(source_name, sub.source()),
                                  k, sub.str()));
        sec.entries[std::string(sub.str())] =
            Entry{&value, toml_position(source_name, value.source()), toml_position(source_name, sub.source())};
      }
    } else if (node.is_array() && find_section(k)) {
      throw Error(fmt::format("{}: [{}] must be a table, not an array of tables", where, k));
    } else {
      raw.sections[""].entries[k] = Entry{&node, toml_position(source_name, node.source()), where};
    }
  }
  raw.owned.push_back(std::move(doc));
  return raw;
}

void require_known_sections(const RawPipeline& raw) {
  for (const auto& [name, sec] : raw.sections)
    if (!find_section(name)) unknown_section(sec.where, name);
}

namespace {

// The plugin a plugin section's `plugin` key chooses (the key is taken out of the table).
const PluginInfo* chosen_plugin(const std::string& name, const SectionSpec& spec, RawSection& sec,
                                const Registry& registry) {
  const char* kind = kind_name(*spec.kind);
  std::vector<std::string> available = registry.names(*spec.kind);
  auto it = sec.entries.find("plugin");
  if (it == sec.entries.end())
    throw Error(fmt::format("{}: [{}] missing key 'plugin' (available {} plugins: {})", sec.where, name, kind,
                            fmt::join(available, ", ")));
  if (!it->second.node->is_string())
    throw Error(fmt::format("{}: [{}] plugin: expected string, got {}", it->second.where, name,
                            toml_type_name(*it->second.node)));
  std::string chosen = it->second.node->as_string()->get();
  const PluginInfo* plugin = registry.find(*spec.kind, chosen);
  if (!plugin)
    throw Error(fmt::format("{}: [{}] unknown {} plugin '{}'{}; available: {}", it->second.where, name, kind, chosen,
                            did_you_mean(chosen, available), fmt::join(available, ", ")));
  sec.entries.erase(it);
  return plugin;
}

// Keys that may be dropped without a word: the options of sub-plugins the table no longer chooses. A stored
// pipeline may keep those of one it never chose (pc's snr with corrector = "none"), and a --set that replaced a
// choice drops the keys of the replaced one.
std::set<std::string> stale_keys(const std::vector<OptionSpec>& base, const RawSection& sec, const Registry& registry,
                                 PipelineOrigin origin) {
  std::set<std::string> stale;
  if (origin == PipelineOrigin::Stored)
    for (const auto& o : base)
      if (o.plugin_kind)
        for (const auto* info : registry.all())
          if (info->kind == *o.plugin_kind)
            for (const auto& spec : info->options) stale.insert(spec.name);
  for (const auto& replaced : sec.replaced) {  // not structured bindings: the lambda uses the key (clang's C++17)
    const std::string& key = replaced.first;
    const Entry& old = replaced.second;
    auto o = std::find_if(base.begin(), base.end(), [&key](const OptionSpec& s) { return s.name == key; });
    if (o == base.end() || !o->plugin_kind || !old.node->is_string()) continue;
    if (const PluginInfo* before = registry.find(*o->plugin_kind, std::string(old.node->as_string()->get())))
      for (const auto& s : before->options) stale.insert(s.name);
  }
  return stale;
}

// Every key of the table is declared (stale ones are dropped); the first that is not is an error with a suggestion.
void reject_unknown_keys(const std::string& name, RawSection& sec, const std::vector<OptionSpec>& options,
                         const std::set<std::string>& stale, const PluginInfo* plugin) {
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
}

// Each declared option's value, typed and range-checked (its default when absent), and where it came from.
Options typed_values(const std::string& name, const RawSection& sec, const std::vector<OptionSpec>& options,
                     const Registry& registry, const std::string& source_name) {
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
      values[o.name] = typed_value(*it->second.node, o, choices);
    } catch (const ConvertError& e) {
      bool in_file = e.at && e.at->source().begin.line != 0 && !it->second.from_override;
      std::string at = in_file ? toml_position(source_name, e.at->source()) : it->second.where;
      throw Error(fmt::format("{}: {} {}: {}", at, section_label(name), o.name, e.message));
    }
    // A value in the file that an override replaced is still the user's mistake: named, not hidden by the flag.
    if (auto hidden = sec.replaced.find(o.name); hidden != sec.replaced.end()) {
      try {
        typed_value(*hidden->second.node, o, choices);
      } catch (const ConvertError& e) {
        const bool at_value = e.at && e.at->source().begin.line != 0;
        throw Error(fmt::format("{}: {} {}: {} (the file's value, which {} overrides; fix or remove it)",
                                at_value ? toml_position(source_name, e.at->source()) : hidden->second.where,
                                section_label(name), o.name, e.message, it->second.where));
      }
    }
    where[o.name] = it->second.where;
  }
  return Options(name, std::move(values), std::move(where));
}

}  // namespace

ValidSection validate(const std::string& name, RawSection& sec, const Registry& registry, PipelineOrigin origin,
                      const std::string& source_name) {
  const SectionSpec* spec = find_section(name);
  const PluginInfo* plugin = spec->kind ? chosen_plugin(name, *spec, sec, registry) : nullptr;
  const std::vector<OptionSpec>& base = plugin ? plugin->options : spec->options;
  // the table's plugin-valued options (pc's predictor) add the options of what they choose now
  auto chosen_now = [&sec](const OptionSpec& o) {
    auto e = sec.entries.find(o.name);
    return e != sec.entries.end() && e->second.node->is_string() ? std::string(e->second.node->as_string()->get())
                                                                 : default_string(o);
  };
  const std::vector<OptionSpec> options = expand(base, registry, chosen_now);
  reject_unknown_keys(name, sec, options, stale_keys(base, sec, registry, origin), plugin);
  ValidSection valid{typed_values(name, sec, options, registry, source_name), plugin, {}, options};
  for (const auto& o : options)
    if (o.is_input_file) valid.file_keys.push_back(o.name);
  return valid;
}

Pipeline Pipeline::parse(const std::string& text, const std::string& source_name, const Overrides& overrides,
                         const Registry& registry, PipelineOrigin origin) {
  RawPipeline raw = read_tables(text, source_name);
  migrate(raw, origin, registry);
  require_known_sections(raw);
  apply_overrides(raw, overrides);
  Pipeline p;
  p.source_ = source_name;
  p.registry_ = &registry;
  for (auto& [name, sec] : raw.sections) p.sections_[name] = validate(name, sec, registry, origin, source_name);
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

void Pipeline::set(const std::string& section, const std::string& key, const Value& value, const std::string& label) {
  auto it = sections_.find(section);
  if (it == sections_.end()) throw Error(fmt::format("{}: {} has no {} section", label, source_, section_label(section)));
  ValidSection& sec = it->second;
  auto spec = std::find_if(sec.specs.begin(), sec.specs.end(), [&key](const OptionSpec& s) { return s.name == key; });
  if (spec == sec.specs.end()) throw Error(fmt::format("{}: {} has no key '{}'", label, section_label(section), key));
  const std::unique_ptr<toml::table> tbl = value_table(value);
  const std::vector<std::string> choices = spec->plugin_kind ? plugin_choices(*spec, *registry_) : spec->choices;
  try {
    sec.options.set(key, typed_value(*tbl->get("v"), *spec, choices), label);
  } catch (const ConvertError& e) {
    throw Error(fmt::format("{}: {} {}: {}", label, section_label(section), key, e.message));
  }
}

std::vector<std::string> Pipeline::changed_keys(const std::string& section) const {
  std::vector<std::string> out;
  auto it = sections_.find(section);
  if (it == sections_.end()) return out;
  for (const OptionSpec& spec : it->second.specs)
    if (it->second.options.has(spec.name) && it->second.options.values().at(spec.name) != spec.default_value)
      out.push_back(fmt::format("{} = {}", spec.name, scoregen::to_toml(it->second.options.values().at(spec.name))));
  return out;
}

Options& Pipeline::mutable_options(const std::string& section) {
  auto it = sections_.find(section);
  if (it == sections_.end()) throw Error(fmt::format("{}: no [{}] section", source_, section));
  return it->second.options;
}

void Pipeline::add_default(const std::string& section) {
  if (has(section)) return;
  const SectionSpec* spec = find_section(section);
  const std::string plugin = spec ? spec->default_plugin : std::string();
  const PluginInfo* info = spec && spec->kind && !plugin.empty() ? registry_->find(*spec->kind, plugin) : nullptr;
  if (!info) throw Error(fmt::format("no default plugin '{}' for [{}] is loaded", plugin, section));
  std::map<std::string, Value> values;
  for (const auto& o : info->options) values[o.name] = o.default_value;
  sections_[section] = ValidSection{Options(section, std::move(values), {}), info, {}, info->options};
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

std::string section_plugin(const std::string& text, const std::string& section) {
  try {
    const toml::table t = toml::parse(text);
    return t[section]["plugin"].value_or(std::string());
  } catch (const toml::parse_error&) {
    return "";
  }
}

std::string Pipeline::to_toml() const {
  std::string out;
  auto emit = [&](const std::string& name, const ValidSection& sec) {
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
