// Registry and loader: Boost.DLL opens plugin libraries, checks their ABI, collects their plugins.
#include "engine/host/registry.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <torch/version.h>

#include "scoregen/abi.hpp"
#include "scoregen/error.hpp"
#include "scoregen_build_config.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

// Libraries stay loaded for the life of the process: objects they made may be alive anywhere.
std::vector<boost::dll::shared_library>& loaded_libraries() {
  static auto* libs = new std::vector<boost::dll::shared_library>();
  return *libs;
}

std::map<std::string, const std::vector<PluginInfo>*>& loaded_by_path() {
  static auto* paths = new std::map<std::string, const std::vector<PluginInfo>*>();
  return *paths;
}

std::string abi_text(const scoregen_abi& a) {
  return fmt::format("plugin ABI {}, scoregen {}.{}, LibTorch {}.{}, C++11 string ABI {}, {}", a.abi_version,
                     a.sdk_major, a.sdk_minor, a.torch_major, a.torch_minor, a.cxx11_abi, a.cuda ? "CUDA" : "CPU");
}

scoregen_abi host_abi() {
  return {SCOREGEN_ABI_VERSION, SCOREGEN_VERSION_MAJOR, SCOREGEN_VERSION_MINOR, TORCH_VERSION_MAJOR,
          TORCH_VERSION_MINOR,  _GLIBCXX_USE_CXX11_ABI, SCOREGEN_TORCH_CUDA};
}

bool compatible(const scoregen_abi& p, const scoregen_abi& h) {
  // The SDK minor may be older in the plugin (additions only); everything else must match.
  return p.abi_version == h.abi_version && p.sdk_major == h.sdk_major && p.sdk_minor <= h.sdk_minor &&
         p.torch_major == h.torch_major && p.torch_minor == h.torch_minor && p.cxx11_abi == h.cxx11_abi &&
         p.cuda == h.cuda;
}

// dlopen's own message for a file Boost.DLL could not load.
std::string dl_message(const std::string& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (handle) {
    ::dlclose(handle);
    return "unknown error";
  }
  const char* msg = ::dlerror();
  return msg ? msg : "unknown error";
}

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

std::string Registry::builtin_dir() {
  std::error_code ec;  // BOOST_DLL_USE_STD_FS: Boost.DLL reports through std::error_code
  fs::path exe = boost::dll::program_location(ec).string();
  if (!ec) {
    fs::path beside = exe.parent_path() / ".." / SCOREGEN_PLUGIN_SUBDIR;
    if (fs::is_directory(beside)) return fs::weakly_canonical(beside).string();
  }
  return SCOREGEN_INSTALL_PLUGIN_DIR;
}

void Registry::load_default(const std::vector<std::string>& extra_paths) {
  const std::string builtin = builtin_dir();
  if (fs::is_directory(builtin)) load_path(builtin);
  if (const char* env = std::getenv("SCOREGEN_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':'))
      if (!item.empty()) load_path(item);
  }
  for (const auto& p : extra_paths) load_path(p);
}

void Registry::load_path(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".so") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_library(f);
    return;
  }
  if (!fs::exists(path, ec)) throw Error(fmt::format("{}: plugin path does not exist", path));
  load_library(path);
}

void Registry::load_library(const std::string& file_in) {
  const std::string file = fs::weakly_canonical(file_in).string();
  auto& by_path = loaded_by_path();
  const std::vector<PluginInfo>* list = nullptr;
  if (auto it = by_path.find(file); it != by_path.end()) {
    list = it->second;
  } else {
    boost::dll::shared_library lib;
    try {
      lib.load(file, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
    } catch (const std::exception&) {
      throw Error(fmt::format("{}: cannot load plugin library: {}", file, dl_message(file)));
    }
    if (!lib.has(SCOREGEN_ABI_SYMBOL))
      throw Error(fmt::format("{}: not a scoregen plugin (it does not export {})", file, SCOREGEN_ABI_SYMBOL));
    const scoregen_abi* abi = lib.get<const scoregen_abi*()>(SCOREGEN_ABI_SYMBOL)();
    const scoregen_abi host = host_abi();
    if (abi == nullptr || !compatible(*abi, host))
      throw Error(fmt::format("{}: incompatible plugin: built for {}; this scoregen needs {} (rebuild it against this SDK)",
                              file, abi ? abi_text(*abi) : "nothing", abi_text(host)));
    if (!lib.has(SCOREGEN_LIST_SYMBOL))
      throw Error(fmt::format("{}: broken plugin: it exports {} but not {}", file, SCOREGEN_ABI_SYMBOL, SCOREGEN_LIST_SYMBOL));
    list = lib.get<const std::vector<PluginInfo>*()>(SCOREGEN_LIST_SYMBOL)();
    loaded_libraries().push_back(std::move(lib));
    by_path[file] = list;
  }
  if (list == nullptr || list->empty()) throw Error(fmt::format("{}: plugin library declares no plugins", file));
  for (PluginInfo info : *list) {
    info.library = file;
    add(std::move(info));
  }
}

void Registry::add(PluginInfo info) {
  for (const auto& p : plugins_) {
    if (p.kind == info.kind && p.name == info.name) {
      if (p.library == info.library) return;  // the same library reached twice through the path
      throw Error(fmt::format("{} plugin '{}' is defined twice: in {} and in {}", kind_name(info.kind), info.name,
                              p.library, info.library));
    }
  }
  plugins_.push_back(std::move(info));
}

const PluginInfo* Registry::find(PluginKind kind, const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.kind == kind && p.name == name) return &p;
  return nullptr;
}

std::vector<const PluginInfo*> Registry::find_any(const std::string& name) const {
  std::vector<const PluginInfo*> out;
  for (const auto& p : plugins_)
    if (p.name == name) out.push_back(&p);
  return out;
}

std::vector<const PluginInfo*> Registry::all() const {
  std::vector<const PluginInfo*> out;
  for (const auto& p : plugins_) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(), [](const PluginInfo* a, const PluginInfo* b) {
    return a->kind != b->kind ? a->kind < b->kind : a->name < b->name;
  });
  return out;
}

std::shared_ptr<Component> Registry::build(PluginKind kind, const std::string& name, const Options& options,
                                           const BuildContext& ctx) const {
  const PluginInfo* info = find(kind, name);
  if (!info) throw Error(fmt::format("no {} plugin named '{}' is loaded", kind_name(kind), name));
  BuildContext c = ctx;
  if (!c.builder) c.builder = builder();
  return info->factory(options, c);
}

PluginBuilder Registry::builder() const {
  return [this](PluginKind kind, const std::string& name, const Options& options, const BuildContext& ctx) {
    return build(kind, name, options, ctx);
  };
}

std::vector<std::string> Registry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto& p : plugins_)
    if (p.kind == kind) out.push_back(p.name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace scoregen::engine
