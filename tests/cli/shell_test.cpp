// At the shell: one --steps on every sampling command, command tables documented like plugins, --json
// summaries for scripted batches, -V, completions and a man page generated from the same declarations.
#include <gtest/gtest.h>

#include <string>

#include "cli_support.hpp"
#include "engine/io/files.hpp"

namespace {

const std::string kOracle = cli::source("pipelines/oracle_mixture.toml");

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Shell, StepsReachEachSamplersOwnCount) {
  cli::TempDir dir;
  const std::string out = " -q --num 8 --out ";
  // pc: [sde] N
  ASSERT_EQ(cli::run("sample " + kOracle + out + dir.path("a.npy") + " --steps 70").status, 0);
  EXPECT_NE(scoregen::engine::read_file(dir.path("a.npy.toml")).find("[sde]\nplugin = \"vp\"\nN = 70\n"), std::string::npos);
  // dpm-solver++: its own steps, chosen with --sampler
  auto d = cli::run("sample " + kOracle + out + dir.path("b.npy") + " --sampler dpm-solver++ --steps 6 --json");
  ASSERT_EQ(d.status, 0) << d.out;
  EXPECT_NE(d.out.find("\"nfe_per_batch\": 6"), std::string::npos) << d.out;
  // annealed Langevin: steps per noise level, with a note saying so
  auto a = cli::run("sample " + cli::source("pipelines/ncsn_mode_weights.toml") + out + dir.path("c.npy") + " --steps 3");
  ASSERT_EQ(a.status, 0) << a.out;
  EXPECT_NE(a.out.find("note: --steps 3: annealed-langevin reads --steps as the Langevin steps per noise level"),
            std::string::npos) << a.out;
  EXPECT_NE(scoregen::engine::read_file(dir.path("c.npy.toml")).find("n_steps = 3\n"), std::string::npos);
  // the adaptive ODE takes no step count: an error, not ignored
  auto o = cli::run("sample " + kOracle + out + dir.path("d.npy") + " --sampler ode --steps 5");
  EXPECT_EQ(o.status, 2) << o.out;
  EXPECT_NE(o.out.find("rk45 chooses its own steps"), std::string::npos) << o.out;
  // a discrete chain's N is its trained model
  auto ddpm = cli::run("sample " + cli::source("pipelines/toy_ddpm.toml") + " --checkpoint none.pt" + out +
                       dir.path("e.npy") + " --steps 5");
  EXPECT_EQ(ddpm.status, 2) << ddpm.out;
  // inpaint and eval take --sampler and --steps too
  for (const char* cmd : {"inpaint", "eval"}) {
    auto h = cli::run(std::string(cmd) + " --help");
    EXPECT_NE(h.out.find("--sampler"), std::string::npos) << cmd;
    EXPECT_NE(h.out.find("--steps"), std::string::npos) << cmd;
  }
}

TEST(Shell, DidYouMeanOnlyAmongKeysOfTheSameMeaning) {
  // pc's n_steps counts corrector steps per time step: a step-count name is pointed at the step count instead
  auto r = cli::run("sample " + kOracle + " -q --set sampler.nsteps=10");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("the step count here is sde.N, which --steps sets"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("did you mean 'n_steps'"), std::string::npos) << r.out;
  auto typo = cli::run("sample " + kOracle + " -q --set sampler.snrr=0.1");
  EXPECT_NE(typo.out.find("did you mean 'snr'"), std::string::npos) << typo.out;
}

TEST(Shell, CommandTablesAreDocumentedLikePlugins) {
  for (const char* table : {"train", "sample", "nll", "inpaint", "eval"}) {
    auto info = cli::run(std::string("plugins info ") + table);
    ASSERT_EQ(info.status, 0) << table << info.out;
    EXPECT_NE(info.out.find(std::string("[") + table + "] table"), std::string::npos) << info.out;
    auto help = cli::run(std::string("help ") + table);
    ASSERT_EQ(help.status, 0) << table;
    EXPECT_NE(help.out.find(info.out), std::string::npos) << "help " << table << " ends with its table\n" << help.out;
  }
  auto train = cli::run("plugins info train");
  EXPECT_NE(train.out.find("lr (float, default 0.002, > 0)"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("sample_every (integer, default 0, >= 0)"), std::string::npos) << train.out;
  auto nll = cli::run("plugins info nll");
  EXPECT_NE(nll.out.find("dequantize (float or \"auto\", default \"auto\", >= 0)"), std::string::npos) << nll.out;
  auto help = cli::run("help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("score-map"), std::string::npos);
  EXPECT_EQ(cli::run("help nosuch").status, 2);
  // no leftover "positional parameters" in any command's help
  for (const char* cmd : {"export", "sample", "rerun", "plot", "plugins", "completion", "man"}) {
    auto h = cli::run(std::string(cmd) + " --help");
    EXPECT_EQ(h.status, 0) << cmd;
    EXPECT_EQ(h.out.find("positional parameters"), std::string::npos) << cmd << "\n" << h.out;
    EXPECT_EQ(h.out.find("unexpected"), std::string::npos) << cmd << "\n" << h.out;
  }
}

TEST(Shell, JsonSummariesAreOneObjectOnStdout) {
  cli::TempDir dir;
  const std::string tiny = dir.file("p.toml", cli::MoonsMlp{1, 30, 16, 20, 32, ""}.text());
  struct Case {
    std::string args, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"train " + tiny + " --out " + dir.path("run"), "\"command\": \"train\""},
           {"sample " + kOracle + " --num 8 --steps 50 --out " + dir.path("s.npy"), "\"record\": \"" + dir.path("s.npy.toml")},
           {"plot " + dir.path("run") + " --out " + dir.path("m.png"), "\"command\": \"plot\""},
           {"export --checkpoint " + dir.path("run/checkpoint.pt") + " --out " + dir.path("e.pt"), "\"step\": 20"},
           {"encode " + kOracle + " --num 4 --out " + dir.path("z.npy"), "\"rtol\": 1e-05"},
           {"nll " + kOracle + " --set nll.num=4", "\"rtol\": 1e-05, \"atol\": 1e-05"},
           {"score " + kOracle + " --data " + dir.path("s.npy") + " -t 0.5,1 --out " + dir.path("sc.npy"), "\"times\": [0.5, 1]"},
           {"eval " + cli::source("pipelines/ncsn_mode_weights.toml") + " --set eval.num=64", "\"mode_weights\": ["},
       }) {
    auto r = cli::stdout_of(c.args + (c.args.rfind("plot", 0) == 0 ? "" : " -q") + " --json");  // plot has no progress
    ASSERT_EQ(r.status, 0) << c.args << "\n" << r.out;
    EXPECT_EQ(r.out.front(), '{') << r.out;
    EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n") << r.out;
    EXPECT_EQ(count(r.out, "\n"), 1u) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(", \"seconds\": "), std::string::npos) << r.out;  // every command's wall time, last
  }
  // the python json module reads it, and the keys of docs/records.md agree with each other: 2 batches of 4,
  // reverse diffusion + Langevin = 2 evaluations per step, the whole command no shorter than its sampling
  auto py = cli::run("sample " + kOracle + " -q --num 8 --steps 50 --seed 7 --set sample.batch_size=4 --json --out " +
                     dir.path("j.npy") + " 2>/dev/null | /usr/bin/python3 -c \"import json, sys; d = json.load(sys.stdin); "
                     "print(d['num'], d['steps'], d['seed'], d['nfe_per_batch'], d['batches'], d['nfe'], "
                     "d['seconds'] >= d['sample_seconds'] > 0)\"");
  EXPECT_NE(py.out.find("8 50 7 100 2 200 True"), std::string::npos) << py.out;
  // eval carries the same sampling keys
  auto ev = cli::stdout_of("eval " + cli::source("pipelines/ncsn_mode_weights.toml") +
                           " -q --set eval.num=64 --set eval.nll_num=0 --steps 2 --seed 3 --json");
  ASSERT_EQ(ev.status, 0) << ev.out;
  for (const char* key : {"\"seed\": 3", "\"nfe_per_batch\": ", "\"nfe\": ", "\"sample_seconds\": ", "\"steps\": "})
    EXPECT_NE(ev.out.find(key), std::string::npos) << key << "\n" << ev.out;
}

TEST(Shell, VersionCompletionsAndManPage) {
  auto v = cli::run("-V");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("scoregen 0.1.0 (plugin ABI", 0), 0u) << v.out;
  // bash: complete a command, a flag and a sampler name the way bash calls the function
  cli::TempDir dir;
  ASSERT_EQ(cli::run("completion bash > " + dir.path("scoregen.bash")).status, 0);
  auto complete = [&](const std::string& words, int cword) {
    return cli::shell("bash -c 'source " + dir.path("scoregen.bash") + "; COMP_WORDS=(" + words + "); COMP_CWORD=" +
                      std::to_string(cword) + "; _scoregen; echo \"${COMPREPLY[*]}\"'");
  };
  EXPECT_EQ(complete("scoregen score-", 1).out, "score-map\n");
  EXPECT_EQ(complete("scoregen sco", 1).out, "score score-map\n");
  EXPECT_EQ(complete("scoregen interpolate --po", 2).out, "--points\n");
  EXPECT_NE(complete("scoregen sample --sampler dpm", 3).out.find("dpm-solver++"), std::string::npos);
  EXPECT_EQ(complete("scoregen sample --grid o", 3).out, "on off\n");
  // zsh: the script parses, and declares every command
  ASSERT_EQ(cli::run("completion zsh > " + dir.path("_scoregen")).status, 0);
  const std::string zsh = scoregen::engine::read_file(dir.path("_scoregen"));
  EXPECT_EQ(zsh.rfind("#compdef scoregen", 0), 0u);
  EXPECT_NE(zsh.find("'--guidance-scale=[W, the weight of the guidance term"), std::string::npos) << zsh;
  if (std::system("command -v zsh > /dev/null") == 0)
    EXPECT_EQ(cli::shell("zsh -n " + dir.path("_scoregen") + " 2>&1").status, 0);
  // the man page: every command is a section, and groff reads it without warnings
  auto man = cli::run("man");
  ASSERT_EQ(man.status, 0);
  EXPECT_EQ(man.out.rfind(".TH SCOREGEN 1", 0), 0u);
  for (const char* cmd : {"train", "sample", "nll", "rerun", "plot", "score-map", "completion"})
    EXPECT_NE(man.out.find(std::string(".SS \"scoregen ") + cmd + "\""), std::string::npos) << cmd;
  if (std::system("command -v groff > /dev/null") == 0) {
    ASSERT_EQ(cli::run("man > " + dir.path("s.1")).status, 0);
    auto lint = cli::shell("groff -man -Tutf8 -ww -z " + dir.path("s.1") + " 2>&1");
    EXPECT_EQ(lint.status, 0);
    EXPECT_EQ(lint.out, "") << lint.out;
  }
  EXPECT_EQ(cli::run("completion fish").status, 2);
}

TEST(Shell, ProgressOffATerminalIsAFewLinesNotOnePerUpdate) {
  cli::TempDir dir;
  // 400 steps, not a terminal (a pipe): one line every 5% at most
  auto r = cli::run("sample " + kOracle + " --num 8 --steps 400 --out " + dir.path("s.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  const std::size_t lines = count(r.out, "sample ");
  EXPECT_GE(lines, 2u) << r.out;
  EXPECT_LE(lines, 22u) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "no redrawing off a terminal";
}
