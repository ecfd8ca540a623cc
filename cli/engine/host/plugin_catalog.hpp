// `scoregen plugins`: the loaded plugins as a table or JSON, or one plugin's declaration in full.
#pragma once

#include <string>
#include <vector>

namespace scoregen::engine {

struct PluginsRequest {
  std::vector<std::string> plugin_paths;
  bool json = false;
  std::string info;  // `plugins info NAME`: this plugin's declaration
};
int list_plugins(const PluginsRequest& request);
// The keys of a command table ([train], [sample], [nll], [inpaint], [eval], top level ""): type, default, range, help.
std::string describe_table(const std::string& name);
bool has_command_table(const std::string& name);
// The names of the built-in and SCOREGEN_PLUGIN_PATH plugins of a kind ("sampler"), or of every kind (""),
// and of the command tables: what the shell completions offer.
std::vector<std::string> plugin_names(const std::string& kind);
std::vector<std::string> command_table_names();

}  // namespace scoregen::engine
