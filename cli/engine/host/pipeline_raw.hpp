// The pipeline's tables as read, before validation: what the parser, the --set overrides and the migration of
// renamed keys work on (private to pipeline*.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "engine/host/pipeline.hpp"

namespace scoregen::engine {

// One key's value and where it came from ("file:line:col" or "--set a.b=c").
struct Entry {
  const toml::node* node = nullptr;
  std::string where;      // the value's position
  std::string key_where;  // the key's position
  bool from_override = false;
};

struct RawSection {
  std::string where;  // the table header's position
  std::map<std::string, Entry> entries;
  std::map<std::string, Entry> replaced;  // file entries a --set replaced (their plugin choices go stale)
};

struct RawPipeline {
  std::map<std::string, RawSection> sections;
  std::vector<std::unique_ptr<toml::table>> owned;  // nodes made by overrides and migrations
  // A node holding `value` (owned by the pipeline).
  const toml::node* string_node(const std::string& value);
};

// Step 1: the TOML text's tables as read (positions kept for every key and value); root keys form section "".
RawPipeline read_tables(const std::string& text, const std::string& source_name);
// Step 2, migrate (below); then every section must be one a pipeline may hold.
void require_known_sections(const RawPipeline& raw);
// Step 3: the overrides: --set texts, each "section.key=value" (TOML value text; a bare word is a string) or
// "section=NAME" for a plugin section (the table becomes NAME with its defaults), then the flags' typed values.
// Plugin choices apply first, so that keys refine the new choice whatever the order given.
void apply_overrides(RawPipeline& raw, const Overrides& overrides);
// Step 4: one table against its declaration (the chosen plugin's options, with those of the sub-plugins it chooses):
// unknown keys, types, ranges and required keys are errors naming where.
ValidSection validate(const std::string& name, RawSection& sec, const Registry& registry, PipelineOrigin origin,
                      const std::string& source_name);

// A value the declaration refuses: why, and the array element at fault when it is one.
struct ConvertError {
  std::string message;
  const toml::node* at = nullptr;  // the offending array element, when it is one
};
// `n` as the value of option `spec` (its type, `choices`, range), or a ConvertError (pipeline_values.cpp).
Value typed_value(const toml::node& n, const OptionSpec& spec, const std::vector<std::string>& choices);
// A one-key table {v = value} holding a typed value as a TOML node (pipeline_values.cpp).
std::unique_ptr<toml::table> value_table(const Value& value);
// "file:line:col" of a node or key (the source alone when it has none), and a node's TOML type name.
std::string toml_position(const std::string& source, const toml::source_region& region);
const char* toml_type_name(const toml::node& n);
// The section names a pipeline may hold; an error naming an unknown one with a suggestion.
std::vector<std::string> section_names();
[[noreturn]] void unknown_section(const std::string& where, const std::string& name);
// The allowed values of a plugin-valued option: the loaded plugins of its kind (and "none").
std::vector<std::string> plugin_choices(const OptionSpec& spec, const Registry& registry);

// Renamed and moved keys (docs/pipelines.md "Renamed keys"): in a file, the first one is an error saying how to
// rewrite it; in a checkpoint's stored pipeline, each is moved to where it now lives.
void migrate(RawPipeline& raw, PipelineOrigin origin, const Registry& registry);

// " (did you mean 'x'?)" for the closest candidate within a few edits, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates, const char* open = "'",
                         const char* close = "'");
// The did-you-mean of an unknown key, only among keys of the same meaning (a step count for a step-count name).
std::string suggest_key(const std::string& key, const std::vector<OptionSpec>& options,
                        const std::vector<std::string>& declared);
// "[name]" or "top level".
std::string section_label(const std::string& name);

}  // namespace scoregen::engine
