// The C entry points of a plugin library: compiled into every plugin by scoregen_add_plugin().
// They describe the library's build (checked by the host before any C++ call) and hand over the
// plugins its SCOREGEN_PLUGIN declarations collected.
#include <torch/version.h>

#include "scoregen/abi.hpp"
#include "scoregen/plugin.hpp"

#ifndef SCOREGEN_TORCH_CUDA
#define SCOREGEN_TORCH_CUDA 0
#endif
#ifndef SCOREGEN_PLUGIN_ABI_VERSION
#define SCOREGEN_PLUGIN_ABI_VERSION SCOREGEN_ABI_VERSION
#endif

extern "C" SCOREGEN_API const scoregen_abi* scoregen_plugin_abi() {
  static const scoregen_abi abi{SCOREGEN_PLUGIN_ABI_VERSION, SCOREGEN_VERSION_MAJOR, SCOREGEN_VERSION_MINOR,
                                TORCH_VERSION_MAJOR,         TORCH_VERSION_MINOR,    _GLIBCXX_USE_CXX11_ABI,
                                SCOREGEN_TORCH_CUDA};
  return &abi;
}

extern "C" SCOREGEN_API const std::vector<scoregen::PluginInfo>* scoregen_plugin_list() {
  return &scoregen::detail::module_plugins();
}
