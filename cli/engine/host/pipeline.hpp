// TOML pipelines: one table per component, validated against the plugins' and commands' declarations
// (docs/pipelines.md).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/registry.hpp"
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

// `s` as a TOML basic string, quotes, backslashes and control characters escaped: how a flag's text becomes an
// override's value, so that a path holding `"` or `\` is that path.
std::string toml_quote(const std::string& s);

// Where pipeline text comes from: a user's file (a renamed key is an error saying how to rewrite it) or the
// pipeline stored in a checkpoint (renamed keys are migrated, so every checkpoint keeps loading).
enum class PipelineOrigin { File, Stored };

// How the user gave an override that a dedicated flag made ("threads=-1" -> "--threads -1"): messages name the flag,
// not a --set the user never typed.
using OverrideLabels = std::map<std::string, std::string>;

class Pipeline {
 public:
  // Parse a pipeline file, apply `--set section.key=value` overrides (typed by declaration), validate every
  // table. Errors name file:line:column and exit 2 through scoregen::Error.
  static Pipeline load(const std::string& path, const std::vector<std::string>& overrides, const Registry& registry,
                       const OverrideLabels& labels = {});
  static Pipeline parse(const std::string& text, const std::string& source_name,
                        const std::vector<std::string>& overrides, const Registry& registry,
                        PipelineOrigin origin = PipelineOrigin::File, const OverrideLabels& labels = {});

  bool has(const std::string& section) const;
  // The validated options of a section; an absent section is an error naming `needed_by`.
  const Options& options(const std::string& section, const std::string& needed_by = "") const;
  // The plugin a plugin section selects.
  const PluginInfo& plugin(const std::string& section, const std::string& needed_by = "") const;
  Options& mutable_options(const std::string& section);
  // Adds an absent plugin section choosing `plugin` with its defaults (e.g. [objective] dsm for `train`).
  void add_default(const std::string& section, const std::string& plugin);
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
  struct Section {
    Options options;
    const PluginInfo* plugin = nullptr;
    std::vector<std::string> file_keys;  // options declared reads_file()
  };
  std::string source_;
  std::map<std::string, Section> sections_;
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
