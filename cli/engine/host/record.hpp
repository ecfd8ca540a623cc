// The record of how an output was made (docs/records.md): the resolved pipeline, the command line, every input file
// (checkpoints with their step) with its SHA-256, the seed, threads and world size, the scoregen version and the
// libraries of non-built-in plugins. Written beside the output as OUTPUT.toml and, in a PNG, as a text chunk;
// `scoregen rerun OUTPUT.toml` makes the output again, bit for bit on the same machine and thread count.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/host/session.hpp"

namespace scoregen::engine {

struct RecordInput {
  std::string role;  // checkpoint, guidance-checkpoint, classifier-checkpoint, data, latent, image, mask, plugin-library
  std::string path;  // a file or a folder (every file in it is hashed)
};

// The record's text: the resolved pipeline, then a [record] table.
std::string record_text(const Session& session, const std::string& output, const std::vector<RecordInput>& inputs);
// The sidecar's path: OUTPUT.toml (or FOLDER/scoregen-record.toml for a folder of outputs).
std::string record_path(const std::string& output);
// Writes the sidecar and returns its path.
std::string write_record(const std::string& output, const std::string& text);
// Before anything is written: an error naming both when the output, or its record, is one of the command's inputs
// (the record's `inputs`, and the PIPELINE file when there is one: the same file by resolved path or by device and
// inode, links included) or lies inside an input folder. `flag` names the output in the message (e.g. "--out");
// inputs that do not exist (a mask preset) are skipped.
void check_output_apart(const std::string& flag, const std::string& output, const std::vector<RecordInput>& inputs,
                        const std::string& pipeline);

// SHA-256 of a file's bytes, as hex.
std::string sha256_file(const std::string& path);
// The same of bytes already read (`what` names them in an error).
std::string sha256_bytes(const std::string& data, const std::string& what);

// A record read back: the pipeline text (the record without its [record] table) and what rerun needs.
struct Record {
  std::string pipeline;            // TOML
  std::string command;             // "sample"
  std::vector<std::string> arguments;  // the words after the command, the PIPELINE left out
  std::string output;
  std::string version;
  std::string directory;     // the working directory the command ran in (relative paths are read from there)
  std::string pipeline_dir;  // the folder the pipeline's relative file options were read from
  std::int64_t threads = 0;  // the CPU threads it ran with
  std::vector<std::pair<RecordInput, std::string>> inputs;  // with their SHA-256 at the time
};
Record read_record(const std::string& path);
// Every input still has the bytes it had: an error naming the first that changed.
void check_inputs(const Record& record, const std::string& path);

}  // namespace scoregen::engine
