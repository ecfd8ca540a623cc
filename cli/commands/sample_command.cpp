// `scoregen sample`: flags -> engine::sample.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/sampling.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen sample", "Draw samples from a score model with the pipeline's [sampler].");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("sampling")
      ("sampler", "use this sampler plugin with its defaults instead of the pipeline's [sampler] (refine with --set "
       "sampler.KEY=VALUE); same as --set sampler=NAME", cxxopts::value<std::string>())
      ("c,checkpoint", "trained weights (train's checkpoint.pt); its EMA weights are used, and its stored pipeline "
       "when no PIPELINE is given", cxxopts::value<std::string>())
      ("n,num", "number of samples (sample.num)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "samples drawn at once; bounds memory (sample.batch_size)", cxxopts::value<std::int64_t>())
      ("o,out", "output: .png (image grid, or scatter plot for 2-D data), .npy or .pt (sample.out)",
       cxxopts::value<std::string>())
      ("class", "draw class Y: adds W grad log p_t(Y | x) from [guidance] to the score (and passes Y to "
       "class-conditional networks)", cxxopts::value<std::int64_t>())
      ("guidance-scale", "W, the weight of the guidance term", cxxopts::value<double>()->default_value("1.0"))
      ("guidance-checkpoint", "trained weights of a [guidance] classifier ([objective] plugin = \"classifier\")",
       cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  override_from<std::int64_t>(args, "num", "sample.num", extra);
  override_from<std::int64_t>(args, "batch-size", "sample.batch_size", extra);
  override_from<std::string>(args, "out", "sample.out", extra);
  override_from<std::string>(args, "sampler", "sampler", extra);
  engine::SampleRequest r{session_request(args, extra), {}};
  r.assembly.command = "scoregen sample";
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.assembly.sampler = true;
  r.assembly.class_label = flag<std::int64_t>(args, "class");
  r.assembly.guidance_scale = args["guidance-scale"].as<double>();
  r.assembly.guidance_checkpoint = flag_or_empty(args, "guidance-checkpoint");
  return engine::sample(r);
}

}  // namespace

SCOREGEN_COMMAND(2, "sample", "draw samples with the pipeline's [sampler] (PNG grid / scatter, .npy, .pt)", run);

}  // namespace scoregen::cli
