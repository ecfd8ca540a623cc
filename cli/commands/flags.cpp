// Common flags of the pipeline commands.
#include "commands/flags.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/pipeline.hpp"
#include "engine/host/process_group.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

// The flags every pipeline command has for its top-level keys.
const std::vector<KeyFlag>& root_flags() {
  static const std::vector<KeyFlag> flags = {{"seed", "seed"}, {"device", "device"}, {"threads", "threads"},
                                             {"precision", "precision"}};
  return flags;
}

// The declaration of `path` ("section.key", or a top-level key alone).
const OptionSpec& declared(const std::string& path) {
  const auto dot = path.find('.');
  const std::string section = dot == std::string::npos ? std::string() : path.substr(0, dot);
  const std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
  if (const engine::SectionSpec* spec = engine::find_section(section))
    for (const OptionSpec& o : spec->options)
      if (o.name == key) return o;
  throw std::logic_error("a flag names an undeclared pipeline key: " + path);
}

// An error when --set also gives `key` a value (the dedicated --`flag` was given): one value per setting.
void refuse_set_twin(const cxxopts::ParseResult& args, const std::string& flag, const std::string& key) {
  if (!args.count("set")) return;
  for (const std::string& entry : args["set"].as<std::vector<std::string>>()) {
    const std::string::size_type eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (name != key) continue;
    std::string given;
    for (const auto& kv : args.arguments())
      if (kv.key() == flag) given = kv.value();
    throw Error(fmt::format("--{} {} and --set {} give {} two values; give one of them", flag, given, entry, key));
  }
}

// "n,num" -> "num"
std::string long_name(const std::string& flag) { return flag.substr(flag.find(',') + 1); }

}  // namespace

void add_key_flags(cxxopts::Options& options, const std::string& group, const std::vector<KeyFlag>& flags) {
  auto adder = options.add_options(group);
  for (const KeyFlag& f : flags) {
    const OptionSpec& o = declared(f.key);
    std::string help = o.help + (f.note.empty() ? "" : "; " + f.note);
    if (!o.choices.empty()) help += fmt::format(" (one of {})", fmt::join(o.choices, ", "));
    help += f.key.find('.') == std::string::npos ? fmt::format(" (overrides the pipeline's {})", f.key)
                                                 : fmt::format(" ({})", f.key);
    switch (o.type) {
      case OptionType::Integer: adder(f.flag, help, cxxopts::value<std::int64_t>()); break;
      case OptionType::Real: adder(f.flag, help, cxxopts::value<double>()); break;
      case OptionType::String: adder(f.flag, help, cxxopts::value<std::string>()); break;
      default: throw std::logic_error("no flag type for the pipeline key " + f.key);
    }
  }
}

std::vector<engine::KeyOverride> key_overrides(const cxxopts::ParseResult& args, const std::vector<KeyFlag>& flags) {
  std::vector<engine::KeyOverride> out;
  for (const KeyFlag& f : flags) {
    const std::string name = long_name(f.flag);
    if (!args.count(name)) continue;
    refuse_set_twin(args, name, f.key);
    switch (declared(f.key).type) {
      case OptionType::Integer: {
        const std::int64_t v = args[name].as<std::int64_t>();
        out.push_back({f.key, v, fmt::format("--{} {}", name, v)});
        break;
      }
      case OptionType::Real: {
        const double v = args[name].as<double>();
        out.push_back({f.key, v, fmt::format("--{} {}", name, v)});
        break;
      }
      default: {
        const std::string v = args[name].as<std::string>();
        out.push_back({f.key, v, fmt::format("--{} {}", name, v)});
      }
    }
  }
  return out;
}

void add_common_options(cxxopts::Options& options) {
  options.add_options()
      ("pipeline", "pipeline file (TOML)", cxxopts::value<std::string>())
      ("s,set", "override a pipeline value: section.key=value (TOML syntax; repeatable), e.g. --set sde.N=500",
       cxxopts::value<std::vector<std::string>>());
  add_key_flags(options, "", root_flags());
  options.add_options()
      ("plugin-path", "extra plugin library or folder (repeatable; searched after SCOREGEN_PLUGIN_PATH)",
       cxxopts::value<std::vector<std::string>>())
      ("dist-timeout", "seconds a data-parallel run (torchrun) waits for its peers, both to form the group (default "
       "30) and in each collective (default 1800)", cxxopts::value<std::int64_t>())
      ("q,quiet", "no progress bar")
      ("h,help", "show this help");
  // `scoregen rerun` runs a record's pipeline from a temporary file: its relative file options keep their folder
  options.add_options("hidden")("pipeline-dir", "", cxxopts::value<std::string>());
}

void add_json_option(cxxopts::Options& options) {
  options.add_options("output")("json", "print the summary (outputs, NFE, times, metrics, the record's path) as one JSON "
                                        "object on stdout");
}

void add_checkpoint_and_class_options(cxxopts::Options& options) {
  options.add_options("model")
      ("c,checkpoint", "trained weights (train's checkpoint.pt); its EMA weights are used, and its stored pipeline when "
       "no PIPELINE is given (a PIPELINE's [network] must then be the checkpoint's)", cxxopts::value<std::string>())
      ("class", "draw class Y: adds W grad log p_t(Y | x) from [guidance] to the score, or passes Y to a "
       "class-conditional network", cxxopts::value<std::int64_t>())
      ("guidance-scale", "W, the weight of the guidance term (default 1; needs --class)", cxxopts::value<double>())
      ("guidance-checkpoint", "trained weights of a [guidance] classifier ([objective] plugin = \"classifier\")",
       cxxopts::value<std::string>());
}

void apply_sampler_options(const cxxopts::ParseResult& args, engine::SessionRequest& request) {
  // --sampler replaces the table before the --set refinements, like --set sampler=NAME
  if (args.count("sampler")) {
    refuse_set_twin(args, "sampler", "sampler");
    const std::string name = args["sampler"].as<std::string>();
    request.overrides.flags.insert(request.overrides.flags.begin(), {"sampler", name, "--sampler " + name});
  }
  request.steps = flag<std::int64_t>(args, "steps");
}

engine::AssemblyRequest assembly_request(const cxxopts::ParseResult& args, const std::string& command) {
  engine::AssemblyRequest r;
  r.command = command;
  r.checkpoint = flag_or_empty(args, "checkpoint");
  r.class_label = flag<std::int64_t>(args, "class");
  if (args.count("guidance-scale") && !r.class_label)
    throw Error(fmt::format("{}: --guidance-scale weighs the guidance towards --class, which is not given", command));
  if (args.count("guidance-checkpoint") && !r.class_label)
    throw Error(fmt::format("{}: --guidance-checkpoint is the classifier of --class, which is not given", command));
  r.guidance_scale = flag<double>(args, "guidance-scale").value_or(1.0);
  r.guidance_checkpoint = flag_or_empty(args, "guidance-checkpoint");
  return r;
}

void add_picture_options(cxxopts::Options& options) {
  options.add_options("pictures")
      ("scale", "magnify each image K times (nearest neighbour) in a PNG (default: a grid's tiles at least 64 pixels "
       "wide, e.g. 3 for 28x28; one PNG per sample: 1)", cxxopts::value<int>())
      ("grid", "on: one PNG grid; off: one PNG per sample, OUT_000.png, OUT_001.png, ...",
       cxxopts::value<std::string>()->default_value("on"));
}

engine::PictureOptions picture_options(const cxxopts::ParseResult& args) {
  engine::PictureOptions o;
  if (args.count("scale")) {
    o.scale = args["scale"].as<int>();
    if (o.scale < 1 || o.scale > 64) throw Error(fmt::format("--scale {}: must be in 1..64", o.scale));
  }
  const std::string grid = args["grid"].as<std::string>();
  if (grid != "on" && grid != "off") throw Error(fmt::format("--grid must be on or off, not '{}'", grid));
  o.grid = grid == "on";
  o.scale_given = args.count("scale") > 0, o.grid_given = args.count("grid") > 0;
  return o;
}

void add_sampler_options(cxxopts::Options& options) {
  options.add_options("sampling")
      ("sampler", "use this sampler plugin with its defaults instead of the pipeline's [sampler] (refine with --set "
       "sampler.KEY=VALUE); same as --set sampler=NAME", cxxopts::value<std::string>())
      ("steps", "the sampler's step count: sets the option its plugin marks as one (`scoregen plugins info NAME` "
       "says which, e.g. pc -> [sde] N, annealed-langevin -> Langevin steps per noise level)",
       cxxopts::value<std::int64_t>());
}

bool parse_command_line(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& result,
                        std::vector<std::string> positional) {
  // words beyond the command's positional one are collected, so that they are an error, not silently dropped
  options.add_options("hidden")("unexpected", "", cxxopts::value<std::vector<std::string>>());
  positional.push_back("unexpected");
  options.parse_positional(positional);
  try {
    result = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    // cxxopts names the value ("Argument 'abc' failed to parse"): the flag it was given to is named too
    const std::string what = e.what();
    const auto open = what.find("\xe2\x80\x98"), close = what.find("\xe2\x80\x99");
    const std::string value = open != std::string::npos && close != std::string::npos && close > open + 3
                                  ? what.substr(open + 3, close - open - 3) : std::string();
    for (int i = 1; !value.empty() && i < argc; ++i) {
      const std::string word = argv[i];
      const auto eq = word.find('=');
      if (word.rfind("-", 0) == 0 && eq != std::string::npos && word.substr(eq + 1) == value)
        throw Error(fmt::format("{}: {} {}: not a value of that flag's type (see {} --help)", options.program(),
                                word.substr(0, eq), value, options.program()));
      if (word == value && i > 1 && argv[i - 1][0] == '-')
        throw Error(fmt::format("{}: {} {}: not a value of that flag's type (see {} --help)", options.program(),
                                argv[i - 1], value, options.program()));
    }
    throw Error(fmt::format("{}: {} (see {} --help)", options.program(), what, options.program()));
  } catch (const cxxopts::exceptions::exception& e) {
    throw Error(fmt::format("{}: {} (see {} --help)", options.program(), e.what(), options.program()));
  }
  if (result.count("help")) {
    fmt::print("{}", help_text(options));
    return false;
  }
  // One value per setting: a flag given twice with two values (or PIPELINE and --pipeline) is an error naming both,
  // not a silent choice of the last; only the repeatable flags collect several.
  static const std::set<std::string> repeatable = {"set", "config-set", "plugin-path", "unexpected", "words", "runs",
                                                   "metric"};
  std::map<std::string, std::string> seen;
  for (const auto& kv : result.arguments()) {
    if (kv.value().empty())
      throw Error(fmt::format("{}: --{} is given an empty value", options.program(), kv.key()));
    if (repeatable.count(kv.key())) continue;
    const auto [at, fresh] = seen.emplace(kv.key(), kv.value());
    if (!fresh && at->second != kv.value())
      throw Error(fmt::format("{}: --{} is given twice, as '{}' and as '{}'; give it once", options.program(), kv.key(),
                              at->second, kv.value()));
  }
  return true;
}

void refuse_flags(const cxxopts::ParseResult& args, const std::string& command, const std::vector<std::string>& flags,
                  const std::string& why) {
  for (const std::string& f : flags)
    if (args.count(f)) throw Error(fmt::format("scoregen {}: --{} cannot take effect: {}", command, f, why));
}


std::string flag_or_empty(const cxxopts::ParseResult& args, const std::string& name) {
  return args.count(name) ? args[name].as<std::string>() : std::string();
}

engine::SessionRequest session_request(const cxxopts::ParseResult& args, const std::vector<std::string>& argv,
                                       const std::vector<KeyFlag>& own) {
  engine::SessionRequest r;
  r.argv = argv;
  r.pipeline_path = flag_or_empty(args, "pipeline");
  if (args.count("checkpoint")) r.checkpoint = args["checkpoint"].as<std::string>();
  if (args.count("set")) r.overrides.set = args["set"].as<std::vector<std::string>>();
  r.overrides.flags = key_overrides(args, own);
  for (engine::KeyOverride& o : key_overrides(args, root_flags())) r.overrides.flags.push_back(std::move(o));
  if (args.count("plugin-path")) r.plugin_paths = args["plugin-path"].as<std::vector<std::string>>();
  r.quiet = args.count("quiet") > 0;
  r.base_dir = flag_or_empty(args, "pipeline-dir");
  if (args.count("dist-timeout") && engine::ProcessGroup::alone())
    throw Error("--dist-timeout: this is one process (WORLD_SIZE is not above 1, and no torchrun), which waits for no "
                "peer; it applies to data-parallel runs under torchrun");
  if (args.count("dist-timeout")) {
    const std::int64_t timeout = args["dist-timeout"].as<std::int64_t>();
    if (timeout < 1) throw Error("--dist-timeout must be >= 1 second");
    r.dist_timeout = r.rendezvous_timeout = std::chrono::seconds(timeout);
  }
  return r;
}

}  // namespace scoregen::cli
