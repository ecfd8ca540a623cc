// The README's commands are written as they run: every `scoregen ...` line in it (continuations joined) names a
// command and flags the binary accepts (`--help` appended), on every build. tests/readme/readme_blocks.sh runs them
// all as written, trainings included, on the default build (ctest label readme).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "engine/io/files.hpp"

namespace {

// The scoregen command lines of a Markdown file's indented code blocks, continuations joined, comments cut, and
// anything after a pipe, a redirection or a second command dropped.
std::vector<std::string> scoregen_lines(const std::string& markdown) {
  std::vector<std::string> out;
  std::istringstream in(markdown);
  std::string line, joined;
  while (std::getline(in, line)) {
    if (line.rfind("    ", 0) != 0) continue;
    std::string text = line.substr(4);
    const bool continues = !text.empty() && text.back() == '\\';
    if (continues) text.pop_back();
    joined += text;
    if (continues) continue;
    std::string cmd = joined;
    joined.clear();
    for (const char* cut : {" #", " |", " >", " &&", ";"})
      if (auto at = cmd.find(cut); at != std::string::npos) cmd = cmd.substr(0, at);
    if (cmd.rfind("scoregen ", 0) == 0) out.push_back(cmd.substr(9));
  }
  return out;
}

}  // namespace

TEST(Readme, EveryScoregenCommandParses) {
  const auto commands = scoregen_lines(scoregen::engine::read_file(cli::source("README.md")));
  ASSERT_GE(commands.size(), 20u);
  for (const auto& c : commands) {
    auto r = cli::shell("cd " + cli::source("") + " && env -u SCOREGEN_PLUGIN_PATH " + cli::binary() + " " + c +
                        " --help 2>&1");
    EXPECT_EQ(r.status, 0) << "scoregen " << c << "\n" << r.out;
    EXPECT_EQ(r.out.find("scoregen: error"), std::string::npos) << "scoregen " << c << "\n" << r.out;
  }
}
