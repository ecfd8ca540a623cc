// scoregen: train, sample from and evaluate score-based generative models (dispatch and error policy).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <new>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/version.h>

#include "commands/command.hpp"
#include "engine/io/report.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/version.hpp"

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

// Ctrl-C, SIGTERM (what Slurm, Kubernetes and torchrun send) and SIGUSR1 (Slurm's --signal warning) ask every long
// loop to stop cleanly (training checkpoints first); a second signal stops at once. Exit status 128 + the signal.
void on_stop_signal(int sig) {
  if (scoregen::interrupt_requested()) _exit(128 + sig);
  g_stop_signal = sig;
  scoregen::request_interrupt();
  // Long loops poll the request; one that does not (an allocation, a solve between polls) is stopped a minute later,
  // so a signal never leaves a process running.
  alarm(60);
}

void on_watchdog(int) { _exit(128 + static_cast<int>(g_stop_signal)); }

const char* signal_name(int sig) { return sig == SIGTERM ? "SIGTERM" : sig == SIGUSR1 ? "SIGUSR1" : "SIGINT"; }

int dispatch(int argc, char** argv) {
  using namespace scoregen::cli;
  if (argc < 2) {
    fmt::print(stderr, "{}scoregen: error: no command given (the commands are above)\n", usage_text());
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    fmt::print("{}", usage_text());
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    fmt::print("scoregen {} (plugin ABI {}, LibTorch {})\n", SCOREGEN_VERSION, SCOREGEN_ABI_VERSION, TORCH_VERSION);
    return 0;
  }
  // Each command parses argv[1..] so its program name reads "scoregen <command>".
  if (const Command* c = find_command(cmd)) return run_command(*c, argc - 1, argv + 1);
  std::vector<std::string> names;
  for (const auto& c : commands()) names.push_back(c.name);
  throw scoregen::Error(fmt::format("unknown command '{}' (commands: {})", cmd, fmt::join(names, ", ")));
}

// An error on one line: a line break or other control character inside it (a path holding one) written as \n, \t or
// \xNN, so that the message stays the one line a script or a person reads.
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

// A request too large for memory is the user's to change, not a fault: one line in our words, exit 2. `bytes`: the
// failed allocation's size when LibTorch names it (0: unknown).
int out_of_memory(const std::string& what, double bytes) {
  fmt::print(stderr, "scoregen: error: {}{}: lower batch_size, the number asked for, the step count or the network's size\n",
             what, bytes > 0 ? fmt::format(" (an allocation of {:.1f} GiB failed)", bytes / (1024.0 * 1024.0 * 1024.0))
                             : std::string());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  for (int sig : {SIGINT, SIGTERM, SIGUSR1}) std::signal(sig, on_stop_signal);
  std::signal(SIGALRM, on_watchdog);
  std::signal(SIGXFSZ, SIG_IGN);  // past a file-size limit a write fails (an error naming the file), it does not kill
  try {
    // Relative paths, records and outputs all start from the working directory: one that was deleted is named here.
    std::error_code cwd;
    [[maybe_unused]] const auto here = std::filesystem::current_path(cwd);
    if (cwd)
      throw scoregen::Error(fmt::format("the working directory cannot be read ({}): was it deleted? cd to a folder that "
                                        "exists", cwd.message()));
    return dispatch(argc, argv);
  } catch (const scoregen::Error& e) {
    fmt::print(stderr, "scoregen: error: {}\n", one_line(e.what()));
    // a script reading --json gets the error as one JSON object on stdout too
    if (std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string(a) == "--json"; }))
      fmt::print("{{\"error\": {}, \"status\": 2}}\n", scoregen::engine::json_quote(e.what()));
    return 2;
  } catch (const scoregen::Interrupted&) {
    const int sig = g_stop_signal != 0 ? static_cast<int>(g_stop_signal) : SIGINT;
    fmt::print(stderr, "scoregen: stopped by {}\n", signal_name(sig));
    return 128 + sig;
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    if (msg.find("Storage size calculation overflowed") != std::string::npos)
      return out_of_memory("a requested size is too large for any machine's memory", 0);
    if (msg.find("can't allocate memory") != std::string::npos || msg.find("out of memory") != std::string::npos) {
      const auto at = msg.find("allocate ");
      return out_of_memory("out of memory", at == std::string::npos ? 0 : std::strtod(msg.c_str() + at + 9, nullptr));
    }
    fmt::print(stderr, "scoregen: internal error (LibTorch): {}\n", msg.substr(0, msg.find('\n')));
    return 1;
  } catch (const std::bad_alloc&) {
    return out_of_memory("out of memory", 0);
  } catch (const std::exception& e) {
    fmt::print(stderr, "scoregen: internal error: {}\n", e.what());
    return 1;
  }
}
