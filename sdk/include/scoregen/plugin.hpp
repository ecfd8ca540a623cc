// Plugin declaration: kind, name, summary, declared options and factory, collected per library.
// The rules a plugin follows (ABI, lifetime, errors) are in docs/plugins.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "scoregen/api.hpp"
#include "scoregen/options.hpp"

namespace scoregen {

class Sde;

// Base of every object a plugin factory makes.
class SCOREGEN_API Component {
 public:
  virtual ~Component();
};

struct BuildContext;
// Builds the plugin of `kind` named `name` from a validated table (how a plugin-valued option is honoured).
using PluginBuilder =
    std::function<std::shared_ptr<Component>(PluginKind kind, const std::string& name, const Options& options,
                                             const BuildContext& ctx)>;

// What a factory may need besides its own options.
struct BuildContext {
  std::shared_ptr<Sde> sde;              // the pipeline's SDE (null while building the SDE)
  std::vector<std::int64_t> data_shape;  // shape of one example, e.g. {2} or {1, 28, 28}
  std::int64_t num_classes = 0;          // 0: unlabelled data
  std::string device = "cpu";
  std::string base_dir;                  // the pipeline's folder: relative file options are read from there
  PluginBuilder builder;                 // set by the host

  // A file option's value as a path: a relative one is read from the pipeline's folder when it is there, else
  // from the working directory.
  SCOREGEN_API std::string file(const std::string& value) const;

  // The plugin a plugin-valued option chose (e.g. the pc sampler's predictor), built from the same table;
  // nullptr for "none".
  template <class T>
  std::shared_ptr<T> build(PluginKind kind, const Options& options, const std::string& option) const {
    const std::string& name = options.string(option);
    if (name == "none") return nullptr;
    if (!builder) options.fail(option, "this host cannot build plugin-valued options");
    auto made = std::dynamic_pointer_cast<T>(builder(kind, name, options, *this));
    if (!made) options.fail(option, "'" + name + "' did not build a " + kind_name(kind) + " (a broken plugin)");
    return made;
  }
};

using Factory = std::function<std::shared_ptr<Component>(const Options&, const BuildContext&)>;

struct PluginInfo {
  PluginKind kind;
  std::string name;
  std::string summary;
  std::vector<OptionSpec> options;
  Factory factory;
  std::string library;  // filled in by the loader: the file it came from
};

namespace detail {
// The plugins declared in the current library (each shared object has its own list).
SCOREGEN_LOCAL inline std::vector<PluginInfo>& module_plugins() {
  static std::vector<PluginInfo> plugins;
  return plugins;
}
struct SCOREGEN_LOCAL Registrar {
  explicit Registrar(PluginInfo info) { module_plugins().push_back(std::move(info)); }
};

template <class C, class = void>
struct has_settings : std::false_type {};
template <class C>
struct has_settings<C, std::void_t<typename C::Settings, decltype(&C::declare)>> : std::true_type {};

// The declaration and factory of CLASS: options from CLASS::declare(Declaration<CLASS::Settings>&) when it has
// settings; built as CLASS(settings, ctx), or CLASS(settings, options, ctx) when it checks options against each
// other and needs their positions for errors; CLASS(ctx) when it has no options.
template <class C>
PluginInfo plugin_info(PluginKind kind, const char* name, const char* summary) {
  PluginInfo info{kind, name, summary, {}, nullptr, std::string()};
  if constexpr (has_settings<C>::value) {
    using S = typename C::Settings;
    auto declaration = std::make_shared<Declaration<S>>();
    C::declare(*declaration);
    info.options = declaration->specs();
    info.factory = [declaration](const Options& o, const BuildContext& c) -> std::shared_ptr<Component> {
      if constexpr (std::is_constructible_v<C, const S&, const Options&, const BuildContext&>)
        return std::make_shared<C>(declaration->bind(o), o, c);
      else
        return std::make_shared<C>(declaration->bind(o), c);
    };
  } else {
    info.factory = [](const Options&, const BuildContext& c) -> std::shared_ptr<Component> {
      return std::make_shared<C>(c);
    };
  }
  return info;
}
}  // namespace detail

}  // namespace scoregen

#define SCOREGEN_CONCAT_INNER(a, b) a##b
#define SCOREGEN_CONCAT(a, b) SCOREGEN_CONCAT_INNER(a, b)

// Declares one plugin: SCOREGEN_PLUGIN(Sde, "vp", "one-line summary", VpSde).
#define SCOREGEN_PLUGIN(KIND, NAME, SUMMARY, CLASS)                                            \
  static const ::scoregen::detail::Registrar SCOREGEN_CONCAT(scoregen_registrar_, __COUNTER__)( \
      ::scoregen::detail::plugin_info<CLASS>(::scoregen::PluginKind::KIND, NAME, SUMMARY))
