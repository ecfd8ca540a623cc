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

std::string usage() {
  std::string text = fmt::format(
      "scoregen {} - score-based generative modelling (score matching, NCSN, DDPM, score SDEs)\n\n"
      "usage: scoregen COMMAND [PIPELINE] [options]\n\ncommands:\n",
      SCOREGEN_VERSION);
  for (const auto& c : scoregen::cli::commands()) text += fmt::format("  {:<12} {}\n", c.name, c.summary);
  text +=
      "\noptions:\n"
      "  -h, --help     this help; `scoregen COMMAND --help` explains each command's flags\n"
      "  --version      print the version, the plugin ABI version and the LibTorch version\n"
      "\n"
      "Every pipeline command takes a TOML pipeline and any number of --set section.key=value overrides.\n"
      "Plugins are searched in the built-in folder, then SCOREGEN_PLUGIN_PATH (colon-separated), then --plugin-path.\n"
      "Exit status: 0 success, 2 user error (bad input), 1 internal error, 130 interrupted.\n";
  return text;
}

void on_sigint(int) {
  if (scoregen::interrupt_requested()) _exit(130);  // a second Ctrl-C stops at once
  scoregen::request_interrupt();
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "{}", usage());
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    fmt::print("{}", usage());
    return 0;
  }
  if (cmd == "--version") {
    fmt::print("scoregen {} (plugin ABI {}, LibTorch {})\n", SCOREGEN_VERSION, SCOREGEN_ABI_VERSION, TORCH_VERSION);
    return 0;
  }
  std::vector<std::string> names;
  for (const auto& c : scoregen::cli::commands()) {
    // Each command parses argv[1..] so its program name reads "scoregen <command>".
    if (cmd == c.name) return c.run(argc - 1, argv + 1);
    names.push_back(c.name);
  }
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
