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

}  // namespace scoregen::engine
