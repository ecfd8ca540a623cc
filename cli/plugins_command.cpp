// `scoregen plugins`: the loaded plugins as a table, as JSON, or one plugin's declaration in full.
#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

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

void print_json(const std::vector<const PluginInfo*>& plugins) {
  fmt::print("[");
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    const PluginInfo& p = *plugins[i];
    fmt::print("{}\n  {{\"kind\": {}, \"name\": {}, \"summary\": {}, \"library\": {}, \"options\": [", i ? "," : "",
               json_string(kind_name(p.kind)), json_string(p.name), json_string(p.summary), json_string(p.library));
    for (std::size_t j = 0; j < p.options.size(); ++j) {
      const OptionSpec& o = p.options[j];
      std::string choices;
      for (std::size_t c = 0; c < o.choices.size(); ++c) choices += (c ? ", " : "") + json_string(o.choices[c]);
      fmt::print("{}\n    {{\"name\": {}, \"type\": {}, \"default\": {}, \"required\": {}, \"choices\": [{}], \"help\": {}}}",
                 j ? "," : "", json_string(o.name), json_string(type_name(o.type)), json_value(o.default_value),
                 o.required() ? "true" : "false", choices, json_string(o.help));
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

void print_info(const PluginInfo& p) {
  fmt::print("{} plugin '{}': {}\nlibrary: {}\n", kind_name(p.kind), p.name, p.summary, p.library);
  if (p.options.empty()) {
    fmt::print("options: none\n");
    return;
  }
  fmt::print("options (pipeline table with plugin = \"{}\"):\n", p.name);
  for (const auto& o : p.options) {
    std::string def = o.required() ? "required" : "default " + to_toml(o.default_value);
    fmt::print("  {} ({}, {})\n      {}\n", o.name, type_name(o.type), def, o.help);
    if (!o.choices.empty()) fmt::print("      one of: {}\n", fmt::join(o.choices, ", "));
  }
}
}  // namespace

int run_plugins(int argc, char** argv) {
  cxxopts::Options options("scoregen plugins", "List the loaded plugins, or show one plugin's options.");
  options.custom_help("[--json] [--plugin-path P]... | info NAME");
  options.positional_help("");
  options.add_options()
      ("json", "machine-readable output: kind, name, summary, library and options (type, default, help)")
      ("plugin-path", "extra plugin library or folder (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("h,help", "show this help")
      ("words", "info NAME", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"words"});
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  Registry registry;
  std::vector<std::string> paths;
  if (args.count("plugin-path")) paths = args["plugin-path"].as<std::vector<std::string>>();
  registry.load_default(paths);

  std::vector<std::string> words;
  if (args.count("words")) words = args["words"].as<std::vector<std::string>>();
  if (words.empty()) {
    if (args.count("json")) print_json(registry.all());
    else print_table(registry.all());
    return 0;
  }
  if (words[0] != "info" || words.size() != 2)
    throw Error("scoregen plugins: expected `plugins`, `plugins --json` or `plugins info NAME`");
  auto found = registry.find_any(words[1]);
  if (found.empty()) {
    std::vector<std::string> names;
    for (const auto* p : registry.all()) names.push_back(p->name);
    throw Error(fmt::format("no plugin named '{}' (loaded: {})", words[1], fmt::join(names, ", ")));
  }
  if (args.count("json")) return print_json(found), 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (i) fmt::print("\n");
    print_info(*found[i]);
  }
  return 0;
}

}  // namespace scoregen::cli
