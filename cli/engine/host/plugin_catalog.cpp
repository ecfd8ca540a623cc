// Plugin declarations printed for people (table, info) and for programs (JSON).
#include "engine/host/plugin_catalog.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/pipeline.hpp"
#include "engine/host/registry.hpp"
#include "engine/io/report.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

std::string json_value(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  return to_toml(v);  // numbers, booleans, quoted strings and arrays read the same in JSON
}

std::string json_bound(const std::optional<double>& b) { return b ? fmt::format("{}", *b) : std::string("null"); }

void print_json(const std::vector<const PluginInfo*>& plugins) {
  fmt::print("[");
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    const PluginInfo& p = *plugins[i];
    fmt::print("{}\n  {{\"kind\": {}, \"name\": {}, \"summary\": {}, \"library\": {}, \"options\": [", i ? "," : "",
               json_quote(kind_name(p.kind)), json_quote(p.name), json_quote(p.summary), json_quote(p.library));
    for (std::size_t j = 0; j < p.options.size(); ++j) {
      const OptionSpec& o = p.options[j];
      std::vector<std::string> choices;
      for (const auto& c : o.choices) choices.push_back(json_quote(c));
      fmt::print("{}\n    {{\"name\": {}, \"type\": {}, \"default\": {}, \"required\": {}, \"choices\": [{}], "
                 "\"min\": {}, \"min_exclusive\": {}, \"max\": {}, \"max_exclusive\": {}, \"plugin_kind\": {}, \"help\": {}}}",
                 j ? "," : "", json_quote(o.name), json_quote(type_name(o.type)), json_value(o.default_value),
                 o.is_required() ? "true" : "false", fmt::join(choices, ", "), json_bound(o.range.min),
                 o.range.min_open ? "true" : "false", json_bound(o.range.max), o.range.max_open ? "true" : "false",
                 o.plugin_kind ? json_quote(kind_name(*o.plugin_kind)) : std::string("null"), json_quote(o.help));
    }
    fmt::print("{}]}}", p.options.empty() ? "" : "\n  ");
  }
  fmt::print("\n]\n");
}

void print_table(const std::vector<const PluginInfo*>& plugins) {
  std::size_t wn = 4;
  for (const auto* p : plugins) wn = std::max(wn, p->name.size());
  fmt::print("{:<9} {:<{}} {}\n", "KIND", "NAME", wn, "SUMMARY (LIBRARY)");
  for (const auto* p : plugins) fmt::print("{:<9} {:<{}} {} ({})\n", kind_name(p->kind), p->name, wn, p->summary, p->library);
}

// Each option: name, type, default, range, help, allowed values; for a plugin-valued one, the loaded plugins.
std::string option_lines(const std::vector<OptionSpec>& options, const Registry* registry) {
  std::string out;
  for (const auto& o : options) {
    std::string def = o.is_required() ? "required" : "default " + to_toml(o.default_value);
    std::string range = o.range.empty() ? std::string() : ", " + o.range.text();
    out += fmt::format("  {} ({}, {}{})\n      {}\n", o.name, type_name(o.type), def, range, o.help);
    if (!o.choices.empty()) out += fmt::format("      one of: {}\n", fmt::join(o.choices, ", "));
    if (o.step_count)
      out += o.step_target.empty() ? std::string("      the step count: --steps N sets it\n")
                                   : fmt::format("      --steps N sets [{}] {} instead\n",
                                                 o.step_target.substr(0, o.step_target.find('.')),
                                                 o.step_target.substr(o.step_target.find('.') + 1));
    if (o.plugin_kind && registry) {
      std::vector<std::string> names = registry->names(*o.plugin_kind);
      if (o.none_allowed) names.push_back("none");
      out += fmt::format("      a {} plugin, one of: {}; its own options join this table (scoregen plugins info NAME)\n",
                         kind_name(*o.plugin_kind), fmt::join(names, ", "));
    }
  }
  return out;
}

void print_info(const PluginInfo& p, const Registry& registry) {
  fmt::print("{} plugin '{}': {}\nlibrary: {}\n", kind_name(p.kind), p.name, p.summary, p.library);
  if (p.options.empty()) {
    fmt::print("options: none\n");
    return;
  }
  if (p.kind == PluginKind::Predictor || p.kind == PluginKind::Corrector)
    fmt::print("options (keys of the [sampler] table whose {} = \"{}\", e.g. the pc sampler's):\n", kind_name(p.kind), p.name);
  else
    fmt::print("options (pipeline table with plugin = \"{}\"):\n", p.name);
  fmt::print("{}", option_lines(p.options, &registry));
}

}  // namespace

std::string describe_table(const std::string& name) {
  const SectionSpec* spec = find_section(name);
  if (!spec || spec->kind) throw Error(fmt::format("no command table named '{}'", name));
  return fmt::format("{} ({}):\n{}", name.empty() ? std::string("top-level keys") : "[" + name + "] table", spec->help,
                     option_lines(spec->options, nullptr));
}

bool has_command_table(const std::string& name) {
  const SectionSpec* spec = find_section(name);
  return spec && !spec->kind && !name.empty();
}

std::vector<std::string> plugin_names(const std::string& kind) {
  Registry registry;
  registry.load_default({});
  std::vector<std::string> names;
  for (const auto* p : registry.all())
    if ((kind.empty() || kind_name(p->kind) == kind) && std::find(names.begin(), names.end(), p->name) == names.end())
      names.push_back(p->name);
  return names;
}

std::vector<std::string> command_table_names() {
  std::vector<std::string> names;
  for (const auto& s : pipeline_sections())
    if (!s.kind && !s.name.empty()) names.push_back(s.name);
  return names;
}

int list_plugins(const PluginsRequest& r) {
  Registry registry;
  registry.load_default(r.plugin_paths);
  if (r.info.empty()) {
    if (r.json) print_json(registry.all());
    else print_table(registry.all());
    return 0;
  }
  auto found = registry.find_any(r.info);
  if (found.empty() && find_section(r.info) && !find_section(r.info)->kind) {
    fmt::print("{}", describe_table(r.info));
    return 0;
  }
  if (found.empty()) {
    std::vector<std::string> names;
    for (const auto* p : registry.all()) names.push_back(p->name);
    throw Error(fmt::format("no plugin named '{}' (loaded: {})", r.info, fmt::join(names, ", ")));
  }
  if (r.json) return print_json(found), 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (i) fmt::print("\n");
    print_info(*found[i], registry);
  }
  return 0;
}

}  // namespace scoregen::engine
