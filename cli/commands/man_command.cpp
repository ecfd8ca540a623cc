// `scoregen man`: the manual page scoregen(1) in roff, generated from the commands' declarations (installed by
// `cmake --install` into share/man/man1).
#include <fmt/format.h>

#include "commands/command.hpp"
#include "engine/host/plugin_catalog.hpp"
#include "scoregen/version.hpp"

namespace scoregen::cli {

namespace {

// Text safe in roff: backslashes and hyphens escaped, no line starting with a control character.
std::string roff(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    if (c == '\n') out += "\\&";
  }
  return out.rfind("\\&", 0) == 0 ? out : "\\&" + out;
}

std::string page() {
  std::string out = fmt::format(".TH SCOREGEN 1 \"\" \"scoregen {}\" \"User Commands\"\n", SCOREGEN_VERSION);
  out += ".SH NAME\nscoregen \\- train, sample from and evaluate score\\-based generative models\n";
  out += ".SH SYNOPSIS\n.B scoregen\n.I COMMAND\n[\\fIPIPELINE\\fR] [\\fIoptions\\fR]\n";
  out += ".SH DESCRIPTION\n" + roff("One binary for score matching (exact, denoising, sliced), NCSN and annealed Langevin, DDPM, "
                                    "the VE / VP / sub-VP SDEs with predictor-corrector, probability-flow ODE and fast "
                                    "samplers, exact likelihood, latent codes, class guidance, inpainting and colorization. "
                                    "Components are plugins wired together by TOML pipelines; every pipeline command takes "
                                    "--set section.key=value overrides.") + "\n";
  out += ".SH COMMANDS\n";
  for (const auto& c : commands()) {
    out += fmt::format(".SS \"scoregen {}\"\n{}\n", c.name, roff(c.description));
    for (const auto& f : flags_of(c)) {
      std::string head = f.short_name.empty() ? "" : fmt::format("\\fB\\-{}\\fR, ", f.short_name);
      head += fmt::format("\\fB\\-\\-{}\\fR", roff(f.long_name).substr(2));
      if (f.takes_value) head += " \\fIVALUE\\fR";
      std::string help = f.help;
      if (!f.default_value.empty()) help += " (default " + f.default_value + ")";
      out += fmt::format(".TP\n{}\n{}\n", head, roff(help));
    }
    if (engine::has_command_table(c.name))
      out += fmt::format(".PP\nThe keys of its pipeline table: \\fBscoregen help {}\\fR.\n", c.name);
  }
  out += ".SH ENVIRONMENT\n.TP\n.B SCOREGEN_PLUGIN_PATH\nColon\\-separated plugin libraries or folders, searched after "
         "the built\\-in plugins.\n";
  out += ".SH EXIT STATUS\n0 success, 2 user error (bad input, named in one line), 1 internal error, 128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 138 SIGUSR1; training checkpoints first).\n";
  out += ".SH SEE ALSO\n\\fBscoregen help\\fR \\fICOMMAND\\fR, \\fBscoregen plugins info\\fR \\fINAME\\fR, and the "
         "docs/ folder of the source: formulas, pipelines, plugins, records, scaling.\n";
  return out;
}

void declare_man(cxxopts::Options&) {}

int run_man(const cxxopts::ParseResult&, const std::vector<std::string>&) {
  fmt::print("{}", page());
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("man", "print the manual page scoregen(1) (roff)",
                 "Print the manual page, made from the same declarations as --help (`scoregen man | man -l -`).",
                 23, false, nullptr, declare_man, run_man);

}  // namespace scoregen::cli
