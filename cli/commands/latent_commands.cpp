// `scoregen encode`, `decode`, `interpolate`: flags -> engine::encode / decode / interpolate.
#include <fmt/format.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/latent.hpp"
#include "scoregen/error.hpp"
#include "scoregen/ode.hpp"

namespace scoregen::cli {

namespace {

void add_latent_options(cxxopts::Options& options) {
  options.add_options("latent")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("rtol", "RK45 relative tolerance (as nll and score_sde; docs/pipelines.md \"ODE tolerance\")",
       cxxopts::value<double>()->default_value(fmt::format("{}", kOdeTolerance)))
      ("atol", "RK45 absolute tolerance", cxxopts::value<double>()->default_value(fmt::format("{}", kOdeTolerance)))
      ("o,out", "output file (.npy, .pt, or .png for data); its record is OUT.toml", cxxopts::value<std::string>())
      ("b,batch-size", "examples per ODE solve (0: all in one; a data-parallel run deals the solves to its ranks)",
       cxxopts::value<std::int64_t>()->default_value("0"));
  add_json_option(options);
}

engine::LatentRequest latent_request(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::LatentRequest r;
  r.session = session_request(args, argv);
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.rtol = args["rtol"].as<double>(), r.atol = args["atol"].as<double>();
  r.out = flag_or_empty(args, "out");
  r.batch = args["batch-size"].as<std::int64_t>();
  if (r.batch < 0) throw Error("--batch-size must be >= 0");
  return r;
}

void declare_encode(cxxopts::Options& options) {
  add_latent_options(options);
  options.add_options("latent")
      ("data", "examples (.npy/.pt) instead of [data]", cxxopts::value<std::string>())
      ("n,num", "number of examples", cxxopts::value<std::int64_t>()->default_value("16"));
}

int run_encode(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::LatentRequest r = latent_request(args, argv);
  r.data_file = flag_or_empty(args, "data");
  r.num = args["num"].as<std::int64_t>();
  r.num_given = args.count("num") > 0;
  if (r.num < 1) throw Error(fmt::format("--num {}: must be >= 1", r.num));
  engine::encode(r).print(args.count("json") > 0);
  return 0;
}

void declare_decode(cxxopts::Options& options) {
  add_latent_options(options);
  options.add_options("latent")("latent", "latent codes (.npy/.pt) from encode", cxxopts::value<std::string>());
}

int run_decode(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  if (!args.count("latent")) throw Error("scoregen decode: --latent FILE is required");
  engine::LatentRequest r = latent_request(args, argv);
  r.latent = flag_or_empty(args, "latent");
  engine::decode(r).print(args.count("json") > 0);
  return 0;
}

void declare_interpolate(cxxopts::Options& options) {
  add_latent_options(options);
  options.add_options("latent")
      ("latent", "latent codes (.npy/.pt) from encode", cxxopts::value<std::string>())
      ("from", "first row", cxxopts::value<std::int64_t>()->default_value("0"))
      ("to", "second row", cxxopts::value<std::int64_t>()->default_value("1"))
      ("points", "points along the path, ends included", cxxopts::value<std::int64_t>()->default_value("8"));
  options.add_options("hidden")("steps", "", cxxopts::value<std::string>());  // the old name of --points
}

int run_interpolate(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  if (args.count("steps"))
    throw Error("scoregen interpolate: --steps is now --points (the points on the path); the ODE's steps are adaptive "
                "(--rtol, --atol)");
  if (!args.count("latent")) throw Error("scoregen interpolate: --latent FILE is required");
  engine::LatentRequest r = latent_request(args, argv);
  r.latent = flag_or_empty(args, "latent");
  r.from = args["from"].as<std::int64_t>(), r.to = args["to"].as<std::int64_t>();
  r.points = args["points"].as<std::int64_t>();
  engine::interpolate(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("encode", "data -> latent codes along the probability-flow ODE",
                 "Map data to latent codes x(T) by integrating the PF-ODE from eps to T.", 4, true, "pipeline",
                 declare_encode, run_encode);
SCOREGEN_COMMAND("decode", "latent codes -> data", "Map latent codes back to data by integrating the PF-ODE from T to eps.",
                 5, true, "pipeline", declare_decode, run_decode);
SCOREGEN_COMMAND("interpolate", "decode a spherical interpolation between two latent codes",
                 "Decode a spherical interpolation between two latent codes (rows 0 and 1 of --latent, or --from/--to\n"
                 "rows): a .png output is an image strip, or for 2-D data the path drawn through its points.",
                 6, true, "pipeline", declare_interpolate, run_interpolate);

}  // namespace scoregen::cli
