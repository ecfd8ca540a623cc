// What the pipeline commands share at the command line: the common flags (PIPELINE, --set, --seed, --device,
// --threads, --plugin-path, --quiet) and their translation into an engine SessionRequest.
#pragma once

#include "commands/command.hpp"

#include <optional>
#include <string>
#include <vector>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/image_io.hpp"

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
// A flag that sets one pipeline key ("n,num" -> "nll.num"; a top-level key alone: "seed"). Its type and help come
// from the key's declaration (command_settings.hpp); `note` adds what it means for this command.
struct KeyFlag {
  std::string flag;  // cxxopts spec: "n,num" or "divergence"
  std::string key;
  std::string note = "";
};
// Declares `flags` in `group` of --help, typed and described by their keys' declarations.
void add_key_flags(cxxopts::Options& options, const std::string& group, const std::vector<KeyFlag>& flags);
// The typed overrides of those of `flags` that were given (a --set of the same key is the other value: an error).
std::vector<engine::KeyOverride> key_overrides(const cxxopts::ParseResult& args, const std::vector<KeyFlag>& flags);
// PIPELINE, --checkpoint, --set, --seed, --threads, --device, --precision, --plugin-path and --quiet; `own` are the
// command's own key flags (KeyFlag), which follow --set.
engine::SessionRequest session_request(const cxxopts::ParseResult& args, const std::vector<std::string>& argv,
                                       const std::vector<KeyFlag>& own = {});

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

}  // namespace scoregen::cli
