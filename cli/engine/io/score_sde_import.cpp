// Reading converted score_sde_pytorch checkpoints into scoregen networks (docs/score_sde_networks.md).
#include "engine/io/score_sde_import.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>
#include <torch/nn/module.h>

#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen_build_config.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

// A fresh private folder under the system's temporary directory, removed with everything in it.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "scoregen-import-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw Error("could not create a temporary folder for the conversion");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

ScoreSdeTensors read_score_sde_tensors(const std::string& dir) {
  const std::string manifest = (fs::path(dir) / "manifest.toml").string();
  toml::table root;
  try {
    root = toml::parse_file(manifest);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}: {}", manifest, e.description()));
  }
  if (root["format"].value_or(std::string()) != "scoregen-score-sde-tensors" || root["version"].value_or(0) != 1)
    throw Error(fmt::format("{}: not a version-1 manifest of scripts/score_sde_to_scoregen.py", manifest));
  ScoreSdeTensors out;
  out.step = root["step"].value_or(std::int64_t{0});
  out.weights = root["weights"].value_or(std::string("raw"));
  const toml::array* list = root["tensor"].as_array();
  if (!list || list->empty()) throw Error(fmt::format("{}: lists no tensors", manifest));
  for (const toml::node& node : *list) {
    const toml::table* t = node.as_table();
    const auto name = t ? (*t)["name"].value<std::string>() : std::nullopt;
    const auto file = t ? (*t)["file"].value<std::string>() : std::nullopt;
    if (!name || !file || file->find('/') != std::string::npos)
      throw Error(fmt::format("{}: a [[tensor]] without a name or a plain file name", manifest));
    std::vector<std::int64_t> shape;
    if (const toml::array* s = (*t)["shape"].as_array())
      for (const toml::node& d : *s) shape.push_back(d.value_or(std::int64_t{-1}));
    at::Tensor v = load_npy((fs::path(dir) / *file).string());
    if (v.sizes() != at::IntArrayRef(shape))
      throw Error(fmt::format("{}: {} has shape [{}], the manifest says [{}]", manifest, *name, fmt::join(v.sizes(), ", "),
                              fmt::join(shape, ", ")));
    out.tensors.emplace_back(*name, v.to(at::kFloat));
  }
  return out;
}

std::string score_sde_script_path(const std::string& name) {
  // a binary of this build tree runs the script beside its sources; an installed one the installed script
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const std::string build = SCOREGEN_BUILD_DIR;
  if (!ec && exe.string().rfind(build + "/", 0) == 0) return (fs::path(SCOREGEN_SOURCE_DIR) / "scripts" / name).string();
  return SCOREGEN_INSTALL_DATA_DIR "/scripts/" + name;
}

namespace {

// python3 SCRIPT ARGS...: no shell (paths pass as they are), stdin from /dev/null, its stdout and stderr into a log
// (never into scoregen's own output). The script's last line becomes the error, `subject` named once.
void run_score_sde_script(const std::string& name, const std::vector<std::string>& script_args,
                          const std::string& subject, const std::string& log) {
  const std::string script = score_sde_script_path(name);
  if (!fs::exists(script)) throw Error(fmt::format("the score_sde script {} is missing (reinstall scoregen)", script));
  const char* env = std::getenv("SCOREGEN_PYTHON");
  const std::string python = env && *env ? env : "/usr/bin/python3";
  std::vector<std::string> args{python, script};
  args.insert(args.end(), script_args.begin(), script_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw Error(fmt::format("{}: reading score_sde_pytorch's files needs Python with PyTorch, and {} cannot be run "
                            "({}); install python3-torch or set SCOREGEN_PYTHON", subject, python,
                            std::strerror(spawned)));
  int status = 0;
  // An interrupt stops the script too (Ctrl-C reaches it through the terminal, kill -INT of scoregen does not).
  bool stopped = false;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(fmt::format("{}: lost {} ({})", subject, name, std::strerror(errno)));
    if (interrupt_requested() && !stopped) {
      ::kill(pid, SIGTERM);
      stopped = true;
    }
  }
  throw_if_interrupted();
  if (WIFSIGNALED(status))
    throw Error(fmt::format("{}: {} was killed by signal {} (out of memory?)", subject, name, WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0) {
    std::string message = read_file(log);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    if (const auto nl = message.rfind('\n'); nl != std::string::npos) message = message.substr(nl + 1);
    if (message.find("No module named 'torch'") != std::string::npos || message.find("No module named 'numpy'") != std::string::npos)
      throw Error(fmt::format("{}: reading score_sde_pytorch's files needs Python with PyTorch ({}: {}); install "
                              "python3-torch or set SCOREGEN_PYTHON", subject, python, message));
    if (message.empty()) throw Error(fmt::format("{}: {} failed", subject, name));
    if (const std::string prog = fs::path(name).stem().string() + ": error: "; message.rfind(prog, 0) == 0)
      message.erase(0, prog.size());
    // the script's own line names the file already
    throw Error(message.rfind(subject + ":", 0) == 0 ? message : fmt::format("{}: {}", subject, message));
  }
}

}  // namespace

ScoreSdeTensors convert_score_sde_checkpoint(const std::string& checkpoint, bool ema, bool trust) {
  if (!fs::is_regular_file(checkpoint)) throw Error(fmt::format("{}: no such file", checkpoint));
  TempFolder work;
  const std::string out = (fs::path(work.path()) / "tensors").string();
  std::vector<std::string> args{checkpoint, out, ema ? "--ema" : "--raw", "-q"};
  if (trust) args.emplace_back("--trust-checkpoint");
  run_score_sde_script("score_sde_to_scoregen.py", args, checkpoint, (fs::path(work.path()) / "converter.log").string());
  return read_score_sde_tensors(out);
}

std::string score_sde_config_toml(const std::string& config) {
  if (!fs::is_regular_file(config)) throw Error(fmt::format("--config {}: no such file", config));
  TempFolder work;
  const std::string out = (fs::path(work.path()) / "config.toml").string();
  run_score_sde_script("score_sde_config_to_toml.py", {config, out}, config,
                       (fs::path(work.path()) / "config.log").string());
  return read_file(out);
}

void load_score_sde_tensors(const ScoreSdeTensors& tensors, torch::nn::Module& module, const std::string& source) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& p : module.named_parameters(true)) targets.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) targets.emplace(b.key(), b.value());
  std::set<std::string> seen;
  torch::NoGradGuard no_grad;
  for (const auto& [name, value] : tensors.tensors) {
    auto it = targets.find(name);
    if (it == targets.end()) {
      if (name == "sigmas") continue;  // score_sde's noise table, stored by every NCSN++; used only when the network needs it
      throw Error(fmt::format("{}: {} is not a tensor of this network (its configuration differs from the checkpoint's)",
                              source, name));
    }
    if (it->second.sizes() != value.sizes())
      throw Error(fmt::format("{}: {} has shape [{}], the network's is [{}] (its configuration differs from the "
                              "checkpoint's)", source, name, fmt::join(value.sizes(), ", "),
                              fmt::join(it->second.sizes(), ", ")));
    it->second.copy_(value);
    seen.insert(name);
  }
  for (const auto& [name, _] : targets)
    if (!seen.count(name))
      throw Error(fmt::format("{}: has no {} for this network (its configuration differs from the checkpoint's)",
                              source, name));
}

}  // namespace scoregen::engine
