// Keys that moved or were renamed since earlier pipelines (docs/pipelines.md "Renamed keys"). A user's file gets
// one line saying exactly how to rewrite the first one; a checkpoint's stored pipeline is migrated, so every
// checkpoint written by an earlier scoregen still loads.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/pipeline_raw.hpp"
#include "engine/io/toml_text.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// A key that now lives elsewhere: in `section` (whose plugin is `plugin`, "" for any) it was `key`; it is now
// `to_key` in `to_section`, which must choose `to_plugin` ("" for any) to take it.
struct Move {
  const char* section;
  const char* plugin;
  const char* key;
  const char* to_section;
  const char* to_plugin;
  const char* to_key;
};

const Move kMoves[] = {
    {"sampler", "annealed-langevin", "n_steps_each", "sampler", "annealed-langevin", "n_steps"},
    {"sampler", "langevin", "n_steps", "sampler", "langevin", "steps"},
    {"inpaint", "", "jump_length", "sampler", "pc", "jump_length"},
    {"inpaint", "", "resample", "sampler", "pc", "resample"},
};

// [train] keys that became the [objective] table.
const char* const kObjectiveKeys[] = {"objective", "weighting", "reduction", "probe", "n_probes"};

std::string plugin_of(const RawPipeline& raw, const std::string& section) {
  auto s = raw.sections.find(section);
  if (s == raw.sections.end()) return "";
  auto p = s->second.entries.find("plugin");
  return p != s->second.entries.end() && p->second.node->is_string() ? std::string(p->second.node->as_string()->get()) : "";
}

void migrate_moves(RawPipeline& raw, PipelineOrigin origin) {
  for (const Move& m : kMoves) {
    auto sec = raw.sections.find(m.section);
    if (sec == raw.sections.end()) continue;
    if (*m.plugin && plugin_of(raw, m.section) != m.plugin) continue;
    auto e = sec->second.entries.find(m.key);
    if (e == sec->second.entries.end()) continue;
    const Entry entry = e->second;
    const bool same_table = std::string(m.section) == m.to_section;
    if (origin == PipelineOrigin::File) {
      if (same_table)
        throw Error(fmt::format("{}: [{}] {} was renamed: write {} = {} instead", entry.key_where, m.section, m.key,
                                m.to_key, toml_value_text(*entry.node)));
      throw Error(fmt::format("{}: [{}] {} moved to the {} table: write {} = {} under [{}]{}", entry.key_where, m.section,
                              m.key, *m.to_plugin ? fmt::format("{} {}'s", m.to_plugin, m.to_section) : m.to_section,
                              m.to_key, toml_value_text(*entry.node), m.to_section,
                              *m.to_plugin ? fmt::format(" (plugin = \"{}\")", m.to_plugin) : std::string()));
    }
    sec->second.entries.erase(m.key);
    if (*m.to_plugin && plugin_of(raw, m.to_section) != m.to_plugin) continue;  // nothing there takes it
    if (!raw.sections.count(m.to_section)) continue;
    raw.sections[m.to_section].entries[m.to_key] = entry;
  }
  // An [inpaint] table emptied by the moves above has nothing left to say.
  auto inpaint = raw.sections.find("inpaint");
  if (origin == PipelineOrigin::Stored && inpaint != raw.sections.end() && inpaint->second.entries.empty())
    raw.sections.erase(inpaint);
}

void migrate_objective(RawPipeline& raw, PipelineOrigin origin, const Registry& registry) {
  auto train = raw.sections.find("train");
  if (train == raw.sections.end()) return;
  std::vector<std::string> present;
  for (const char* k : kObjectiveKeys)
    if (train->second.entries.count(k)) present.push_back(k);
  if (present.empty()) return;
  auto& entries = train->second.entries;
  std::string name = find_section("objective")->default_plugin;
  if (auto o = entries.find("objective"); o != entries.end() && o->second.node->is_string())
    name = o->second.node->as_string()->get();
  const PluginInfo* plugin = registry.find(PluginKind::Objective, name);
  auto declares = [&](const std::string& key) {
    return plugin && std::any_of(plugin->options.begin(), plugin->options.end(),
                                 [&](const OptionSpec& s) { return s.name == key; });
  };
  if (origin == PipelineOrigin::File) {
    std::vector<std::string> keep{fmt::format("plugin = \"{}\"", name)}, drop;
    for (const auto& k : present) {
      if (k == "objective") continue;
      if (declares(k)) keep.push_back(fmt::format("{} = {}", k, toml_value_text(*entries[k].node)));
      else drop.push_back(k);
    }
    throw Error(fmt::format("{}: [train] {} moved to their own table: write [objective] with {}{}",
                            entries[present[0]].key_where, fmt::join(present, ", "), fmt::join(keep, ", "),
                            drop.empty() ? std::string()
                                         : fmt::format(" (and delete {}: not options of '{}')", fmt::join(drop, ", "), name)));
  }
  RawSection& objective = raw.sections["objective"];
  objective.where = train->second.where;
  const std::string where = present[0] == "objective" ? entries["objective"].where : train->second.where;
  objective.entries["plugin"] = Entry{raw.string_node(name), where, where};
  for (const auto& k : present) {
    if (k != "objective" && declares(k)) objective.entries[k] = entries[k];
    entries.erase(k);
  }
}

}  // namespace

void migrate(RawPipeline& raw, PipelineOrigin origin, const Registry& registry) {
  migrate_objective(raw, origin, registry);
  migrate_moves(raw, origin);
}

}  // namespace scoregen::engine
