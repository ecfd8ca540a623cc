// Plugin declarations printed for people (table, info) and for programs (JSON).
#include "engine/plugin_catalog.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/registry.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
    else out += c;
  }
  return out + "\"";
}

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
               json_string(kind_name(p.kind)), json_string(p.name), json_string(p.summary), json_string(p.library));
    for (std::size_t j = 0; j < p.options.size(); ++j) {
      const OptionSpec& o = p.options[j];
      std::vector<std::string> choices;
      for (const auto& c : o.choices) choices.push_back(json_string(c));
      fmt::print("{}\n    {{\"name\": {}, \"type\": {}, \"default\": {}, \"required\": {}, \"choices\": [{}], "
                 "\"min\": {}, \"min_exclusive\": {}, \"max\": {}, \"max_exclusive\": {}, \"plugin_kind\": {}, \"help\": {}}}",
                 j ? "," : "", json_string(o.name), json_string(type_name(o.type)), json_value(o.default_value),
                 o.is_required() ? "true" : "false", fmt::join(choices, ", "), json_bound(o.range.min),
                 o.range.min_open ? "true" : "false", json_bound(o.range.max), o.range.max_open ? "true" : "false",
                 o.plugin_kind ? json_string(kind_name(*o.plugin_kind)) : std::string("null"), json_string(o.help));
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
  for (const auto& o : p.options) {
    std::string def = o.is_required() ? "required" : "default " + to_toml(o.default_value);
    std::string range = o.range.empty() ? std::string() : ", " + o.range.text();
    fmt::print("  {} ({}, {}{})\n      {}\n", o.name, type_name(o.type), def, range, o.help);
    if (!o.choices.empty()) fmt::print("      one of: {}\n", fmt::join(o.choices, ", "));
    if (o.plugin_kind) {
      std::vector<std::string> names = registry.names(*o.plugin_kind);
      if (o.none_allowed) names.push_back("none");
      fmt::print("      a {} plugin, one of: {}; its own options join this table (scoregen plugins info NAME)\n",
                 kind_name(*o.plugin_kind), fmt::join(names, ", "));
    }
  }
}

}  // namespace

int list_plugins(const PluginsRequest& r) {
  Registry registry;
  registry.load_default(r.plugin_paths);
  if (r.info.empty()) {
    if (r.json) print_json(registry.all());
    else print_table(registry.all());
    return 0;
  }
  auto found = registry.find_any(r.info);
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
