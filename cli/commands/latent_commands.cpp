// `scoregen encode`, `decode`, `interpolate`: flags -> engine::encode / decode / interpolate.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/latent.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void add_latent_options(cxxopts::Options& options) {
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("latent")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("rtol", "RK45 relative tolerance", cxxopts::value<double>()->default_value("1e-5"))
      ("atol", "RK45 absolute tolerance", cxxopts::value<double>()->default_value("1e-5"))
      ("o,out", "output file (.npy, .pt, or .png for data)", cxxopts::value<std::string>())
      ("b,batch-size", "examples per ODE solve (0: all in one; a data-parallel run deals the solves to its ranks)",
       cxxopts::value<std::int64_t>()->default_value("0"));
}

engine::LatentRequest latent_request(const cxxopts::ParseResult& args) {
  engine::LatentRequest r;
  r.session = session_request(args);
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.rtol = args["rtol"].as<double>(), r.atol = args["atol"].as<double>();
  r.out = flag_or_empty(args, "out");
  r.batch = args["batch-size"].as<std::int64_t>();
  if (r.batch < 0) throw Error("--batch-size must be >= 0");
  return r;
}

int run_encode(int argc, char** argv) {
  cxxopts::Options options("scoregen encode", "Map data to latent codes x(T) by integrating the PF-ODE from eps to T.");
  add_latent_options(options);
  options.add_options("latent")
      ("data", "examples (.npy/.pt) instead of [data]", cxxopts::value<std::string>())
      ("n,num", "number of examples", cxxopts::value<std::int64_t>()->default_value("16"));
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  engine::LatentRequest r = latent_request(args);
  r.data_file = flag_or_empty(args, "data");
  r.num = args["num"].as<std::int64_t>();
  return engine::encode(r);
}

int run_decode(int argc, char** argv) {
  cxxopts::Options options("scoregen decode", "Map latent codes back to data by integrating the PF-ODE from T to eps.");
  add_latent_options(options);
  options.add_options("latent")("latent", "latent codes (.npy/.pt) from encode", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  engine::LatentRequest r = latent_request(args);
  r.latent = flag_or_empty(args, "latent");
  return engine::decode(r);
}

int run_interpolate(int argc, char** argv) {
  cxxopts::Options options("scoregen interpolate",
                           "Decode a spherical interpolation between two latent codes (rows 0 and 1 of --latent,\n"
                           "or --from/--to rows); a .png output is an image strip.");
  add_latent_options(options);
  options.add_options("latent")
      ("latent", "latent codes (.npy/.pt) from encode", cxxopts::value<std::string>())
      ("from", "first row", cxxopts::value<std::int64_t>()->default_value("0"))
      ("to", "second row", cxxopts::value<std::int64_t>()->default_value("1"))
      ("steps", "points along the path, ends included", cxxopts::value<std::int64_t>()->default_value("8"));
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  engine::LatentRequest r = latent_request(args);
  r.latent = flag_or_empty(args, "latent");
  r.from = args["from"].as<std::int64_t>(), r.to = args["to"].as<std::int64_t>(), r.points = args["steps"].as<std::int64_t>();
  return engine::interpolate(r);
}

}  // namespace

SCOREGEN_COMMAND(4, "encode", "data -> latent codes along the probability-flow ODE", run_encode);
SCOREGEN_COMMAND(5, "decode", "latent codes -> data", run_decode);
SCOREGEN_COMMAND(6, "interpolate", "decode a spherical interpolation between two latent codes", run_interpolate);

}  // namespace scoregen::cli
