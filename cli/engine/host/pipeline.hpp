// TOML pipelines: one table per component, validated against the plugins' and commands' declarations
// (docs/pipelines.md).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/host/registry.hpp"
#include "scoregen/options.hpp"
#include "scoregen/plugin.hpp"

namespace scoregen::engine {

// A pipeline section: either chooses a plugin of `kind` (key `plugin`) or is a command's own table
// (train, sample, ...) with fixed options. The root table has name "".
struct SectionSpec {
  std::string name;
  std::optional<PluginKind> kind;
  std::vector<OptionSpec> options;
  std::string help;
  std::string default_plugin;  // the plugin an absent section stands for where a command needs it ("" : none)
};

// Every section a pipeline may contain (plugin sections and command tables): command_tables.cpp.
const std::vector<SectionSpec>& pipeline_sections();
const SectionSpec* find_section(const std::string& name);
// Whether a command table's `key` holds its declared default (records and checkpoints store every default
// explicitly, so presence tells nothing).
bool holds_default(const std::string& section, const Options& settings, const std::string& key);
// The pipeline file at `path` with the `sections` it lacks taken from `other` (pipeline text, e.g. a checkpoint's
// stored pipeline), as TOML text; the file as it is when it has them all or does not parse (Pipeline::load then
// reports where).
std::string pipeline_with_sections(const std::string& path, const std::string& other, const std::vector<std::string>& sections);
// The plugin = "..." of [section] in a pipeline's TOML text; "" when it has none (or the text does not parse).
std::string section_plugin(const std::string& text, const std::string& section);

// `s` as a TOML basic string, quotes, backslashes and control characters escaped: how a flag's text becomes an
// override's value, so that a path holding `"` or `\` is that path.
std::string toml_quote(const std::string& s);

// Where pipeline text comes from: a user's file (a renamed key is an error saying how to rewrite it) or the
// pipeline stored in a checkpoint (renamed keys are migrated, so every checkpoint keeps loading).
enum class PipelineOrigin { File, Stored };

// A value a command's own flag gives one pipeline key ("--num 8": [nll] num = 8). It is typed: it enters the
// pipeline as a TOML value, never as text parsed again, so a string is that string whatever it holds. `key` is
// "section.key", a top-level key alone ("seed"), or a plugin section's name alone ("sampler": the table becomes
// that plugin with its defaults). `label` is the flag as given: messages name it, not a --set never typed.
struct KeyOverride {
  std::string key;
  Value value;
  std::string label;
};

// What a command changes in its pipeline: the --set texts ("section.key=value", TOML value text, a bare word being
// a string) and its flags' typed values, which follow them.
struct Overrides {
  std::vector<std::string> set;
  std::vector<KeyOverride> flags;
  // How the user gave `path` ("section.key") a value: "--set TEXT" or the flag's label; "" when nothing sets it.
  std::string setter(const std::string& path) const;
};

// One validated table: its typed options, the plugin it chooses (null for a command table) and the options that
// name files it reads (declared reads_file()).
struct ValidSection {
  Options options;
  const PluginInfo* plugin = nullptr;
  std::vector<std::string> file_keys;
  std::vector<OptionSpec> specs;  // the table's declared options (a chosen sub-plugin's included)
};

class Pipeline {
 public:
  // Parse a pipeline file, apply `--set section.key=value` overrides (typed by declaration), validate every
  // table. Errors name file:line:column and exit 2 through scoregen::Error. The steps, in order (pipeline_raw.hpp):
  // read_tables, migrate, require_known_sections, apply_overrides, then validate each table.
  static Pipeline load(const std::string& path, const Overrides& overrides, const Registry& registry);
  static Pipeline parse(const std::string& text, const std::string& source_name, const Overrides& overrides,
                        const Registry& registry, PipelineOrigin origin = PipelineOrigin::File);

  bool has(const std::string& section) const;
  // The validated options of a section; an absent section is an error naming `needed_by`.
  const Options& options(const std::string& section, const std::string& needed_by = "") const;
  // The plugin a plugin section selects.
  const PluginInfo& plugin(const std::string& section, const std::string& needed_by = "") const;
  Options& mutable_options(const std::string& section);
  // The keys of a table set away from their declared defaults, as "key = value" in declaration order.
  std::vector<std::string> changed_keys(const std::string& section) const;
  // Sets a key of a validated table as a flag resolved against the tables does (--steps: the chosen sampler's step
  // count), checked like a value in the file: an error naming `label` when the type, range or choices refuse it.
  void set(const std::string& section, const std::string& key, const Value& value, const std::string& label);
  // Adds an absent plugin section as its spec's default plugin with that plugin's defaults ([objective] dsm).
  void add_default(const std::string& section);
  // The resolved pipeline as TOML (defaults filled in), for checkpoints and records.
  std::string to_toml() const;
  const std::string& source() const { return source_; }
  const Registry& registry() const { return *registry_; }
  // The files and folders the pipeline's plugins read (options declared reads_file(), when set), as
  // ("[section] key", value): what a record hashes.
  std::vector<std::pair<std::string, std::string>> input_files() const;
  // Those file options made absolute where they are relative to `base_dir` (the pipeline's folder): what a
  // checkpoint stores, so that its pipeline reads the same files from wherever it is used.
  void anchor_files(const std::string& base_dir);

  // Build the component a plugin section selects (BuildContext::builder is set to the registry's) and cast it
  // to its interface.
  std::shared_ptr<Component> create(const std::string& section, BuildContext ctx, const std::string& needed_by = "") const;
  template <class T>
  std::shared_ptr<T> create_as(const std::string& section, const BuildContext& ctx, const std::string& needed_by = "") const {
    auto made = std::dynamic_pointer_cast<T>(create(section, ctx, needed_by));
    if (!made) wrong_interface(section);
    return made;
  }

 private:
  [[noreturn]] void wrong_interface(const std::string& section) const;
  std::string source_;
  std::map<std::string, ValidSection> sections_;
  const Registry* registry_ = nullptr;
};

// A key whose value differs between two pipelines' tables: "[train] lr = 0.0001 (was 0.002)".
struct TableDifference {
  std::string section, key, now, then;  // values as TOML text
  std::string where;                    // the key's position in `now` (its source when it was a default)
};
// The keys of `section` that differ (the plugin first, as key "plugin"), in declaration order; none when either
// pipeline lacks the table.
std::vector<TableDifference> compare_tables(const Pipeline& now, const Pipeline& then, const std::string& section);

}  // namespace scoregen::engine
