// `scoregen score-map`: flags -> engine::score_map.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/score_map.hpp"

namespace scoregen::cli {

namespace {

void declare_score_map(cxxopts::Options& options) {
  add_json_option(options);
  options.add_options("score map")
      ("c,checkpoint", "the trained score model (EMA weights); without it, the pipeline's analytic network",
       cxxopts::value<std::string>())
      ("t,time", "the time (noise level) of both scores (default: the SDE's sample_eps, its smallest noise)",
       cxxopts::value<double>())
      ("o,out", "the picture (.png); its record is OUT.toml", cxxopts::value<std::string>()->default_value("score_map.png"));
}

int run_score_map(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::ScoreMapRequest r;
  r.session = session_request(args, argv);
  r.assembly.command = "scoregen score-map";
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.out = args["out"].as<std::string>();
  r.t = flag<double>(args, "time");
  engine::score_map(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("score-map", "a trained 2-D score against the exact score of its data, where dense and where sparse",
                 "Draw a trained score model against the exact score of its data (a [data] set that knows its density,\n"
                 "such as the mixture) over the plane: both as arrows over the density p_t, and their difference as a\n"
                 "heat map with the density's contours; report the mean error where p_t is high and where it is low.\n"
                 "Score matching sees few examples where the data are sparse, so the estimate is poor there (Song &\n"
                 "Ermon 2019, Sec. 3.2.1) -- one reason for annealing over noise levels.",
                 10, true, "pipeline", declare_score_map, run_score_map);

}  // namespace scoregen::cli
