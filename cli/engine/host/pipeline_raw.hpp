// The pipeline's tables as read, before validation: what the parser, the --set overrides and the migration of
// renamed keys work on (private to pipeline*.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "engine/pipeline.hpp"

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
