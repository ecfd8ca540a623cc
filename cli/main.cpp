// scoregen: train, sample from and evaluate score-based generative models (dispatch and error policy).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/version.h>

#include "commands/command.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/version.hpp"

namespace {

void on_sigint(int) {
  if (scoregen::interrupt_requested()) _exit(130);  // a second Ctrl-C stops at once
  scoregen::request_interrupt();
}

int dispatch(int argc, char** argv) {
  using namespace scoregen::cli;
  if (argc < 2) {
    fmt::print(stderr, "{}", usage_text());
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

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_sigint);
  try {
    return dispatch(argc, argv);
  } catch (const scoregen::Error& e) {
    fmt::print(stderr, "scoregen: error: {}\n", e.what());
    return 2;
  } catch (const scoregen::Interrupted&) {
    fmt::print(stderr, "scoregen: interrupted\n");
    return 130;
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    fmt::print(stderr, "scoregen: internal error (LibTorch): {}\n", msg.substr(0, msg.find('\n')));
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "scoregen: internal error: {}\n", e.what());
    return 1;
  }
}
