// `scoregen rerun RECORD`: the recorded command again, on the recorded resolved pipeline, from the recorded folder.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/host/record.hpp"
#include "engine/io/files.hpp"
#include "scoregen/error.hpp"
#include "scoregen/version.hpp"

namespace fs = std::filesystem;

namespace scoregen::cli {

namespace {

void declare_rerun(cxxopts::Options& options) {
  options.custom_help("RECORD [--out NEW]");
  options.add_options()
      ("o,out", "write the output here instead of over the recorded one (to compare them)", cxxopts::value<std::string>())
      ("q,quiet", "no progress bar")
      ("json", "print the summary as one JSON object on stdout");
  options.add_options("hidden")("record", "", cxxopts::value<std::string>());
}

// The recorded pipeline in a temporary file for the length of the rerun.
struct TemporaryPipeline {
  std::string path;
  explicit TemporaryPipeline(const std::string& text) {
    std::string name = (fs::temp_directory_path() / "scoregen-rerun-XXXXXX.toml").string();
    const int fd = mkstemps(name.data(), 5);
    if (fd < 0) throw Error(fmt::format("cannot create a temporary file in {}", fs::temp_directory_path().string()));
    close(fd);
    path = name;
    engine::write_file_atomic(path, text);
  }
  ~TemporaryPipeline() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

int run_rerun(const cxxopts::ParseResult& args, const std::vector<std::string>&) {
  if (!args.count("record")) throw Error("scoregen rerun: which record? (an output's OUT.toml, or the PNG itself)");
  const std::string given = args["record"].as<std::string>();
  const std::string ext = engine::extension(given);
  if (ext == ".npy" || ext == ".pt" || ext == ".csv" || ext == ".txt")
    throw Error(fmt::format("{}: an output; its record is {}.toml (a PNG carries its own)", given, given));
  const engine::Record record = engine::read_record(given);
  const Command* command = find_command(record.command);
  if (!command || !command->pipeline)
    throw Error(fmt::format("{}: records a '{}' command, which rerun cannot make again", given, record.command));
  if (record.version != SCOREGEN_VERSION)
    fmt::print(stderr, "note: {} was made by scoregen {}, this is {}: the output may differ in its last bits\n", given,
               record.version, SCOREGEN_VERSION);
  const std::string out = args.count("out") ? fs::absolute(args["out"].as<std::string>()).string() : std::string();
  std::error_code ec;
  fs::current_path(record.directory, ec);
  if (ec) throw Error(fmt::format("{}: the folder it ran in, {}, is gone ({})", given, record.directory, ec.message()));
  engine::check_inputs(record, given);
  TemporaryPipeline pipeline(record.pipeline);
  std::vector<std::string> words = {command->name, pipeline.path, "--pipeline-dir=" + record.pipeline_dir};
  std::vector<std::string> drop = {"pipeline-dir", "threads", "quiet", "json"};
  if (!out.empty()) drop.push_back("out");
  for (auto& w : replay_flags(*command, record.arguments, drop)) words.push_back(std::move(w));
  // the out-of-tree plugin libraries it ran with (their bytes checked above), however they were found then
  for (const auto& [input, digest] : record.inputs)
    if (input.role == "plugin-library") words.push_back("--plugin-path=" + input.path);
  if (record.threads > 0) words.push_back(fmt::format("--threads={}", record.threads));
  if (!out.empty()) words.push_back("--out=" + out);
  if (args.count("quiet")) words.push_back("--quiet");
  if (args.count("json")) words.push_back("--json");
  try {
    return run_command(*command, words);
  } catch (const Error& e) {
    // The temporary file's lines are the record's: an error names the record as the user gave it, at the same line.
    std::string message = e.what();
    for (std::size_t at = message.find(pipeline.path); at != std::string::npos; at = message.find(pipeline.path, at))
      message.replace(at, pipeline.path.size(), given), at += given.size();
    // an error of a recorded flag or of the recorded command line names the record it came from
    throw Error(message.find(given) == std::string::npos ? fmt::format("rerun {}: {}", given, message) : message);
  }
}

}  // namespace

SCOREGEN_COMMAND("rerun", "make a recorded output again from its record (OUT.toml, or the PNG)",
                 "Make an output again from its record: the recorded command on the recorded resolved pipeline, from\n"
                 "the folder it ran in, with the recorded thread count. Every recorded input (checkpoints, data, images)\n"
                 "must still have the bytes it had (SHA-256), or rerun stops and names it. On the same machine and\n"
                 "thread count the output is the same bit for bit.",
                 12, false, "record", declare_rerun, run_rerun);

}  // namespace scoregen::cli
