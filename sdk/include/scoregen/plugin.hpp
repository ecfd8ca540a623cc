// Plugin declaration: kind, name, summary, options and factory, collected per library.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "scoregen/api.hpp"
#include "scoregen/options.hpp"

namespace scoregen {

enum class PluginKind { Sde, Network, Sampler, Guidance, Dataset };
SCOREGEN_API const char* kind_name(PluginKind kind);

class Sde;

// Base of every object a plugin factory makes.
class SCOREGEN_API Component {
 public:
  virtual ~Component();
};

// What a factory may need besides its own options.
struct BuildContext {
  std::shared_ptr<Sde> sde;             // the pipeline's SDE (null while building the SDE)
  std::vector<std::int64_t> data_shape;  // shape of one example, e.g. {2} or {1, 28, 28}
  std::int64_t num_classes = 0;          // 0: unlabelled data
  std::string device = "cpu";
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
}  // namespace detail

}  // namespace scoregen

#define SCOREGEN_CONCAT_INNER(a, b) a##b
#define SCOREGEN_CONCAT(a, b) SCOREGEN_CONCAT_INNER(a, b)

// Declares one plugin: SCOREGEN_PLUGIN(Sde, "vp", "summary", VpSde, opt::real(...), ...).
// CLASS must be constructible from (const Options&, const BuildContext&).
#define SCOREGEN_PLUGIN(KIND, NAME, SUMMARY, CLASS, ...)                                              \
  static const ::scoregen::detail::Registrar SCOREGEN_CONCAT(scoregen_registrar_, __LINE__)(          \
      ::scoregen::PluginInfo{::scoregen::PluginKind::KIND, NAME, SUMMARY,                              \
                             std::vector<::scoregen::OptionSpec>{__VA_ARGS__},                         \
                             [](const ::scoregen::Options& o, const ::scoregen::BuildContext& c)       \
                                 -> std::shared_ptr<::scoregen::Component> {                           \
                               return std::make_shared<CLASS>(o, c);                                   \
                             },                                                                        \
                             std::string()})
