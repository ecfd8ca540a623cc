// The plugin registry and its Boost.DLL loader (docs/plugins.md "Loading").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scoregen/plugin.hpp"

namespace scoregen::engine {

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Search order: the built-in folder, SCOREGEN_PLUGIN_PATH (colon-separated), then the extra paths.
  void load_default(const std::vector<std::string>& extra_paths);
  // A directory (every *.so in it, sorted) or one library file.
  void load_path(const std::string& path);
  void load_library(const std::string& file);
  // Registers one plugin; a (kind, name) already taken is an error naming both libraries.
  void add(PluginInfo info);

  const PluginInfo* find(PluginKind kind, const std::string& name) const;
  // Every plugin of any kind with this name (for `plugins info NAME`).
  std::vector<const PluginInfo*> find_any(const std::string& name) const;
  std::vector<const PluginInfo*> all() const;
  std::vector<std::string> names(PluginKind kind) const;
  // Builds plugin `name` of `kind` from a validated table; the builder handed to plugins in BuildContext.
  std::shared_ptr<Component> build(PluginKind kind, const std::string& name, const Options& options,
                                   const BuildContext& ctx) const;
  PluginBuilder builder() const;

  // The folder of built-in plugins: beside the binary (../lib/scoregen/plugins) or the install prefix.
  static std::string builtin_dir();

 private:
  std::vector<PluginInfo> plugins_;
};

}  // namespace scoregen::engine
