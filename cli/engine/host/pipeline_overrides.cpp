// The overrides of a pipeline: --set texts and a command's typed flag values applied to the tables as read, plugin
// choices first.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "engine/host/pipeline_raw.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// "section.key" as (section, key); a key alone is top-level (section "").
std::pair<std::string, std::string> split_key(const std::string& path) {
  const auto dot = path.find('.');
  if (dot == std::string::npos) return {std::string(), path};
  return {path.substr(0, dot), path.substr(dot + 1)};
}

// `key` of `section` becomes the value of `tbl` (key "v"), from `where`; a file's value it replaces is kept for its
// own check.
void put_entry(RawPipeline& raw, const std::string& section, const std::string& key, std::unique_ptr<toml::table> tbl,
               const std::string& where) {
  if (!section.empty() && !find_section(section)) unknown_section(where, section);
  RawSection& sec = raw.sections[section];
  if (auto old = sec.entries.find(key); old != sec.entries.end() && !old->second.from_override)
    sec.replaced[key] = old->second;
  sec.entries[key] = Entry{tbl->get("v"), where, where, true};
  if (sec.where.empty()) sec.where = where;
  raw.owned.push_back(std::move(tbl));
}

// `--set sampler=NAME` (a plugin section without a key): the whole table becomes the new plugin with its defaults.
void replace_plugin(RawPipeline& raw, const std::string& section, std::string name, const std::string& where) {
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  RawSection& sec = raw.sections[section];
  sec.entries.clear();
  sec.replaced.clear();
  sec.where = where;
  sec.entries["plugin"] = Entry{raw.string_node(name), where, where, true};
}

// `--set section.key=value`: the value is TOML text; a bare word is taken as a string.
void set_text(RawPipeline& raw, const std::string& ov, const std::string& where) {
  auto eq = ov.find('=');
  if (eq == std::string::npos || eq == 0) throw Error(fmt::format("{}: expected section.key=value", where));
  const auto [section, key] = split_key(ov.substr(0, eq));
  const std::string value = ov.substr(eq + 1);
  auto tbl = std::make_unique<toml::table>();
  try {
    *tbl = toml::parse("v = " + value, where);
  } catch (const toml::parse_error&) {
    *tbl = toml::table{};
    tbl->insert_or_assign("v", value);
  }
  put_entry(raw, section, key, std::move(tbl), where);
}

// A plugin section named alone ("sampler"): the override chooses its plugin.
bool names_plugin_section(const std::string& key) {
  const SectionSpec* spec = find_section(key);
  return spec && spec->kind;
}

}  // namespace

std::string Overrides::setter(const std::string& path) const {
  for (const auto& given : set)
    if (given.rfind(path + "=", 0) == 0) return "--set " + given;
  for (const auto& given : flags)
    if (given.key == path) return given.label;
  return "";
}

void apply_overrides(RawPipeline& raw, const Overrides& overrides) {
  // Plugin choices first, so that `--set sampler.steps=20` refines the new choice, whatever the order given.
  for (const KeyOverride& flag : overrides.flags)
    if (names_plugin_section(flag.key)) {
      const auto* name = std::get_if<std::string>(&flag.value);
      if (!name) throw Error(fmt::format("{}: a plugin is chosen by its name", flag.label));
      replace_plugin(raw, flag.key, *name, flag.label);
    }
  std::vector<std::string> keys;
  for (const auto& ov : overrides.set) {
    const std::string where = "--set " + ov;
    // one key and one value: a line break would let the text add tables of its own, which would be dropped
    if (std::any_of(ov.begin(), ov.end(), [](char c) { return c == '\n' || c == '\r'; }))
      throw Error(fmt::format("{}: one section.key=value on one line (a line break in the value; TOML's \\n "
                              "writes one inside a string)", where.substr(0, where.find_first_of("\r\n"))));
    auto eq = ov.find('=');
    const SectionSpec* spec = eq == std::string::npos ? nullptr : find_section(ov.substr(0, eq));
    if (spec && spec->kind)
      replace_plugin(raw, ov.substr(0, eq), ov.substr(eq + 1), where);
    else
      keys.push_back(ov);
  }
  for (const auto& ov : keys) set_text(raw, ov, "--set " + ov);
  for (const KeyOverride& flag : overrides.flags) {
    if (names_plugin_section(flag.key)) continue;
    const auto [section, key] = split_key(flag.key);
    put_entry(raw, section, key, value_table(flag.value), flag.label);
  }
}

}  // namespace scoregen::engine
