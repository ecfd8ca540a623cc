// `scoregen score`: flags -> engine::score_values.
#include <fmt/format.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/score_values.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void declare_score(cxxopts::Options& options) {
  add_json_option(options);
  add_checkpoint_and_class_options(options);
  options.add_options("score")
      ("data", "the examples x (.npy/.pt), [N, ...] in the model's range", cxxopts::value<std::string>())
      ("t,times", "the times, comma-separated (e.g. -t 0.001,0.1,0.5,1); each is applied to every example",
       cxxopts::value<std::string>())
      ("raw", "the network's own output (its noise, data or score prediction) instead of the score")
      ("o,out", "the values, [T, N, ...] (.npy or .pt); its record is OUT.toml", cxxopts::value<std::string>())
      ("b,batch-size", "examples per evaluation (0: all at once)", cxxopts::value<std::int64_t>()->default_value("0"));
}

// "0.001,0.1,0.5,1" -> its numbers; anything else is an error naming the word.
std::vector<double> parse_times(const std::string& text) {
  std::vector<double> times;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string word = text.substr(begin, end - begin);
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (word.empty() || used != word.size())
      throw Error(fmt::format("--times {}: '{}' is not a number (give times separated by commas: -t 0.001,0.5,1)", text, word));
    times.push_back(value);
    begin = end + 1;
  }
  return times;
}

int run_score(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  refuse_flags(args, "score", {"seed"}, "the score is computed, not drawn: nothing in it is random");
  engine::ScoreRequest r;
  r.session = session_request(args, argv);
  r.assembly = assembly_request(args, "scoregen score");
  r.data_file = flag_or_empty(args, "data");
  if (args.count("times")) r.times = parse_times(args["times"].as<std::string>());
  r.out = flag_or_empty(args, "out");
  r.raw = args.count("raw") > 0;
  r.batch = args["batch-size"].as<std::int64_t>();
  engine::score_values(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("score", "the model's score (or its network's output) at given examples and times",
                 "Evaluate the score s(x, t) of a trained or imported model (the network's prediction turned into a\n"
                 "score through the SDE's perturbation kernel) at every example of --data and every time of -t, into\n"
                 "an array [T, N, ...]; --raw gives the network's own output instead (e.g. score_sde's model(x,\n"
                 "labels) for an imported model). The first check after `scoregen import`: compare with the other\n"
                 "code at the same inputs. --class adds classifier guidance to the score as `sample` does.",
                 4, true, "pipeline", declare_score, run_score);

}  // namespace scoregen::cli
