// scoregen: train, sample from and evaluate score-based generative models (dispatch and error policy).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/version.hpp"

namespace {

const char* kUsage =
    "scoregen {} - score-based generative modelling (score matching, NCSN, DDPM, score SDEs)\n"
    "\n"
    "usage: scoregen COMMAND [PIPELINE] [options]\n"
    "\n"
    "commands:\n"
    "  train     train a score network on the pipeline's [data] with its [train] objective\n"
    "  sample    draw samples with the pipeline's [sampler] (PNG grid / scatter, .npy, .pt)\n"
    "  nll       exact log-likelihood and bits/dim through the probability-flow ODE\n"
    "  encode    data -> latent codes along the probability-flow ODE\n"
    "  decode    latent codes -> data\n"
    "  interpolate  decode a spherical interpolation between two latent codes\n"
    "  inpaint   fill masked pixels (or colorize grey images) with the PC inpainter\n"
    "  eval      Frechet distance (classifier features), class entropy and bits/dim of an image model\n"
    "  export    a small checkpoint with only the EMA weights and the pipeline (for sharing)\n"
    "  plugins   list the loaded plugins (plugins --json, plugins info NAME)\n"
    "\n"
    "options:\n"
    "  -h, --help     this help; `scoregen COMMAND --help` explains each command's flags\n"
    "  --version      print the version, the plugin ABI version and the LibTorch version\n"
    "\n"
    "Every pipeline command takes a TOML pipeline and any number of --set section.key=value overrides.\n"
    "Plugins are searched in the built-in folder, then SCOREGEN_PLUGIN_PATH (colon-separated), then --plugin-path.\n"
    "Exit status: 0 success, 2 user error (bad input), 1 internal error, 130 interrupted.\n";

void on_sigint(int) {
  if (scoregen::interrupt_requested()) _exit(130);  // a second Ctrl-C stops at once
  scoregen::request_interrupt();
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, kUsage, SCOREGEN_VERSION);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    fmt::print(kUsage, SCOREGEN_VERSION);
    return 0;
  }
  if (cmd == "--version") {
    fmt::print("scoregen {} (plugin ABI {}, LibTorch {})\n", SCOREGEN_VERSION, SCOREGEN_ABI_VERSION, TORCH_VERSION);
    return 0;
  }
  using namespace scoregen::cli;
  // Each command parses argv[1..] so its program name reads "scoregen <command>".
  if (cmd == "plugins") return run_plugins(argc - 1, argv + 1);
  if (cmd == "sample") return run_sample(argc - 1, argv + 1);
  if (cmd == "train") return run_train(argc - 1, argv + 1);
  if (cmd == "nll") return run_nll(argc - 1, argv + 1);
  if (cmd == "inpaint") return run_inpaint(argc - 1, argv + 1);
  if (cmd == "eval") return run_eval(argc - 1, argv + 1);
  if (cmd == "export") return run_export(argc - 1, argv + 1);
  if (cmd == "encode") return run_encode(argc - 1, argv + 1);
  if (cmd == "decode") return run_decode(argc - 1, argv + 1);
  if (cmd == "interpolate") return run_interpolate(argc - 1, argv + 1);
  throw scoregen::Error(fmt::format("unknown command '{}' (commands: train, sample, nll, encode, decode, interpolate, inpaint, eval, export, plugins)", cmd));
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
