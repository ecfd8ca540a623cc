// Records: writing, reading back, hashing inputs.
#include "engine/host/record.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>
#include <ATen/Parallel.h>

#include "engine/io/checkpoint.hpp"
#include "engine/io/files.hpp"
#include "engine/io/png_file.hpp"
#include "engine/io/report.hpp"
#include "scoregen/error.hpp"
#include "scoregen/version.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

std::vector<std::string> files_of(const std::string& path) {
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path))
      if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  return files;
}

std::string digest_of(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& f : files_of(path)) parts.push_back(sha256_file(f));
  return parts.size() == 1 ? parts[0] : fmt::format("{}", fmt::join(parts, ":"));
}

}  // namespace

std::string sha256_file(const std::string& path) { return sha256_bytes(read_file(path), path); }

std::string sha256_bytes(const std::string& data, const std::string& what) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
    throw Error(fmt::format("{}: cannot compute its SHA-256", what));
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::string record_path(const std::string& output) {
  return fs::is_directory(output) ? (fs::path(output) / "scoregen-record.toml").string() : output + ".toml";
}

namespace {
// The path with every link and ".." resolved as far as it exists (a file not yet written keeps its name).
fs::path resolved(const std::string& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : r;
}
bool inside(const fs::path& file, const fs::path& folder) {
  auto [end, ignored] = std::mismatch(folder.begin(), folder.end(), file.begin(), file.end());
  return end == folder.end() && file != folder;
}
}  // namespace

void check_output_apart(const std::string& flag, const std::string& output, const std::vector<RecordInput>& inputs,
                        const std::string& pipeline) {
  if (output.empty()) return;
  // the record goes beside the output: a folder in its place would fail only after the output was written
  std::error_code ec;
  if (fs::is_directory(record_path(output), ec))
    throw Error(fmt::format("{} {}: its record {} is a folder; move it, or write the output elsewhere", flag, output,
                            record_path(output)));
  std::vector<RecordInput> read = inputs;
  read.push_back({"pipeline", pipeline});
  for (const std::string& written : {output, record_path(output)}) {
    const fs::path out = resolved(written);
    for (const RecordInput& in : read) {
      std::error_code ec;
      if (in.path.empty() || !fs::exists(in.path, ec)) continue;
      const fs::path source = resolved(in.path);
      const bool same = out == source || fs::equivalent(written, in.path, ec);
      const bool within = fs::is_directory(source, ec) && inside(out, source);
      if (!same && !within) continue;
      const std::string what = written == output ? fmt::format("{} {}", flag, output)
                                                 : fmt::format("the record {} of {} {}", written, flag, output);
      const char* relation = within ? "lies inside" : fs::is_directory(source, ec) ? "is the same folder as" : "is the same file as";
      throw Error(fmt::format("{} {} the {} {}: it would be overwritten; write the output elsewhere", what, relation,
                              in.role, in.path));
    }
  }
}

std::string record_text(const Session& s, const std::string& output, const std::vector<RecordInput>& inputs) {
  std::string out = fmt::format("# How {} was made by scoregen {}. Make it again: scoregen rerun {}\n",
                                fs::path(output).filename().string(), SCOREGEN_VERSION, record_path(output));
  out += s.pipeline->to_toml();
  out += "\n[record]\n";
  out += fmt::format("scoregen = {}\n", toml_quote(SCOREGEN_VERSION));
  const std::vector<std::string>& argv = s.argv;
  out += fmt::format("command = {}\n", toml_quote(argv.empty() ? std::string() : argv[0]));
  std::vector<std::string> words;
  for (std::size_t i = 1; i < argv.size(); ++i) words.push_back(toml_quote(argv[i]));
  out += fmt::format("command_line = [{}]\n", fmt::join(words, ", "));
  out += fmt::format("output = {}\n", toml_quote(output));
  out += fmt::format("directory = {}\n", toml_quote(fs::current_path().string()));
  out += fmt::format("pipeline_dir = {}\n", toml_quote(fs::absolute(s.base_dir.empty() ? "." : s.base_dir).lexically_normal().string()));
  out += fmt::format("seed = {}\nthreads = {}\nworld_size = {}\n", s.seed, at::get_num_threads(), s.group->world());
  std::vector<RecordInput> all = inputs;
  // the files the pipeline's plugins read: relative ones from the pipeline's folder where they are there
  for (const auto& [key, value] : s.pipeline->input_files()) {
    // an [objective]'s files (a distillation's teacher) are read by training alone, never by a recorded command
    if (key.rfind("[objective]", 0) == 0) continue;
    const fs::path beside = fs::path(s.base_dir) / value;
    all.push_back({key, fs::path(value).is_relative() && !s.base_dir.empty() && fs::exists(beside) ? beside.string() : value});
  }
  // out-of-tree plugin libraries: hashed like any input, so that rerun loads them only while their bytes are the same
  const std::string builtin = Registry::builtin_dir();
  std::vector<std::string> plugins;
  for (const auto* p : s.registry->all())
    if (fs::path(p->library).parent_path() != fs::path(builtin) &&
        std::find(plugins.begin(), plugins.end(), toml_quote(p->library)) == plugins.end()) {
      plugins.push_back(toml_quote(p->library));
      all.push_back({"plugin-library", p->library});
    }
  std::vector<std::string> rows;
  for (const auto& in : all) {
    if (in.path.empty() || !fs::exists(in.path)) continue;  // not read (an unused default folder)
    std::string row = fmt::format("{{ role = {}, path = {}, sha256 = {}", toml_quote(in.role), toml_quote(in.path),
                                  toml_quote(digest_of(in.path)));
    if (in.role.find("checkpoint") != std::string::npos) row += fmt::format(", step = {}", s.checkpoint(in.path).step());
    rows.push_back(row + " }");
  }
  out += fmt::format("inputs = [{}]\n", fmt::join(rows, ", "));
  out += fmt::format("plugin_libraries = [{}]\n", fmt::join(plugins, ", "));
  return out;
}

std::string write_record(const std::string& output, const std::string& text) {
  const std::string path = record_path(output);
  write_file_atomic(path, text);
  return path;
}

Record read_record(const std::string& path) {
  toml::table doc;
  std::string source;
  if (extension(path) == ".png") {
    source = png_record(path);
    if (source.empty()) throw Error(fmt::format("{}: this PNG carries no scoregen record", path));
  } else {
    source = read_file(path);
  }
  try {
    doc = toml::parse(source, path);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description()));
  }
  const toml::table* rec = doc["record"].as_table();
  if (!rec) throw Error(fmt::format("{}: not a scoregen record (no [record] table)", path));
  Record r;
  auto text = [&](const char* key) {
    auto v = (*rec)[key].value<std::string>();
    if (!v) throw Error(fmt::format("{}: [record] {} is missing", path, key));
    return *v;
  };
  r.command = text("command");
  r.output = text("output");
  r.version = text("scoregen");
  r.directory = text("directory");
  r.pipeline_dir = text("pipeline_dir");
  r.threads = (*rec)["threads"].value<std::int64_t>().value_or(0);
  if (const toml::array* words = (*rec)["command_line"].as_array())
    for (const auto& w : *words) r.arguments.push_back(w.value<std::string>().value_or(""));
  if (const toml::array* inputs = (*rec)["inputs"].as_array())
    for (const auto& node : *inputs)
      if (const toml::table* t = node.as_table())
        r.inputs.push_back({RecordInput{(*t)["role"].value<std::string>().value_or(""), (*t)["path"].value<std::string>().value_or("")},
                            (*t)["sha256"].value<std::string>().value_or("")});
  // The pipeline is the text before the [record] table where that table comes last (as written), so that a line
  // number in the pipeline is the same line of the record; otherwise (an edited record) the tables without it.
  const auto record_line = rec->source().begin.line;
  bool record_last = record_line > 0;
  for (const auto& [key, node] : doc)
    if (key != "record" && node.source().begin.line > record_line) record_last = false;
  if (record_last) {
    std::size_t at = 0;
    for (std::uint32_t line = 1; line < record_line && at != std::string::npos; ++line) {
      at = source.find('\n', at);
      if (at != std::string::npos) ++at;
    }
    r.pipeline = at == std::string::npos ? source : source.substr(0, at);
  } else {
    doc.erase("record");
    std::ostringstream os;
    os << doc;
    r.pipeline = os.str();
  }
  return r;
}

void check_inputs(const Record& r, const std::string& path) {
  for (const auto& [input, digest] : r.inputs) {
    if (!fs::exists(input.path))
      throw Error(fmt::format("{}: its {} {} no longer exists", path, input.role, input.path));
    if (digest_of(input.path) != digest)
      throw Error(fmt::format("{}: its {} {} changed since the record was made (SHA-256 differs), so the output "
                              "cannot be made again", path, input.role, input.path));
  }
}

}  // namespace scoregen::engine
