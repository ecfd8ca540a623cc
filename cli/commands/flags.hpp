// What the pipeline commands share at the command line: the common flags (PIPELINE, --set, --seed, --device,
// --threads, --plugin-path, --quiet) and their translation into an engine SessionRequest.
#pragma once

#include "commands/command.hpp"

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "engine/assemble.hpp"
#include "engine/image_io.hpp"
#include "engine/session.hpp"

namespace scoregen::cli {

void add_common_options(cxxopts::Options& options);
// Parses argv; prints help and returns false when --help was given. Unknown flags are errors (exit 2); words beyond the
// positional ones are collected as "unexpected".
bool parse_command_line(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& result,
                        std::vector<std::string> positional);
// --json: the summary as one JSON object on stdout.
void add_json_option(cxxopts::Options& options);
// --sampler NAME and --steps N (every command that samples); sampler_request applies them to a session request.
void add_sampler_options(cxxopts::Options& options);
void apply_sampler_options(const cxxopts::ParseResult& args, engine::SessionRequest& request);
// --checkpoint, --class, --guidance-scale, --guidance-checkpoint.
void add_checkpoint_and_class_options(cxxopts::Options& options);
// The assembly those flags ask for; --guidance-scale without --class is an error, not ignored.
engine::AssemblyRequest assembly_request(const cxxopts::ParseResult& args, const std::string& command);
// --scale K and --grid on|off for image outputs.
void add_picture_options(cxxopts::Options& options);
engine::PictureOptions picture_options(const cxxopts::ParseResult& args);
// A command's own flag as a pipeline override: `text` is section.key=value, `label` the flag as given ("--num 8").
struct FlagOverride {
  std::string text, label;
};
// PIPELINE, --checkpoint, --set, --seed, --threads, --device, --plugin-path and --quiet; `extra` overrides
// (the command's own flags) follow --set.
engine::SessionRequest session_request(const cxxopts::ParseResult& args, const std::vector<std::string>& argv,
                                       const std::vector<FlagOverride>& extra = {});

// Flags of the common set that `command` cannot use: an error naming the first one given, with `why`.
void refuse_flags(const cxxopts::ParseResult& args, const std::string& command, const std::vector<std::string>& flags,
                  const std::string& why);

// The value of an optional flag.
template <class T>
std::optional<T> flag(const cxxopts::ParseResult& args, const std::string& name) {
  if (!args.count(name)) return std::nullopt;
  return args[name].as<T>();
}
std::string flag_or_empty(const cxxopts::ParseResult& args, const std::string& name);
// An error when --set also gives `key` a value (the dedicated --`flag` was given): one value per setting.
void refuse_set_twin(const cxxopts::ParseResult& args, const std::string& flag, const std::string& key);
// Appends `key=value` (TOML) for a flag that overrides a pipeline key, when the flag was given (and --set does not
// give the same key another).
template <class T>
void override_from(const cxxopts::ParseResult& args, const std::string& flag, const std::string& key,
                   std::vector<FlagOverride>& extra) {
  if (!args.count(flag)) return;
  refuse_set_twin(args, flag, key);
  const T value = args[flag].as<T>();
  const std::string label = fmt::format("--{} {}", flag, value);
  if constexpr (std::is_same_v<T, std::string>)
    extra.push_back({fmt::format("{}={}", key, engine::toml_quote(value)), label});
  else
    extra.push_back({fmt::format("{}={}", key, value), label});
}

}  // namespace scoregen::cli
