// `scoregen sample`: flags -> engine::sample.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/sampling.hpp"

namespace scoregen::cli {

namespace {

void declare(cxxopts::Options& options) {
  add_sampler_options(options);
  add_checkpoint_and_class_options(options);
  add_picture_options(options);
  add_json_option(options);
  options.add_options("sampling")
      ("n,num", "number of samples (sample.num)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "samples drawn at once; bounds memory (sample.batch_size)", cxxopts::value<std::int64_t>())
      ("o,out", "output: .png (image grid, or scatter plot for 2-D data), .npy or .pt (sample.out); its record is OUT.toml",
       cxxopts::value<std::string>())
      ("overlay", "2-D data: draw the pipeline's [data] beneath the samples in the scatter plot");
}

int run(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  std::vector<std::string> extra;
  override_from<std::int64_t>(args, "num", "sample.num", extra);
  override_from<std::int64_t>(args, "batch-size", "sample.batch_size", extra);
  override_from<std::string>(args, "out", "sample.out", extra);
  engine::SampleRequest r{session_request(args, argv, extra), assembly_request(args, "scoregen sample"),
                          picture_options(args), args.count("overlay") > 0};
  apply_sampler_options(args, r.session);
  r.assembly.sampler = true;
  engine::sample(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("sample", "draw samples with the pipeline's [sampler] (PNG grid / scatter, .npy, .pt)",
                 "Draw samples from a score model with the pipeline's [sampler]; the output's record (OUT.toml, and a text\n"
                 "chunk in a PNG) makes it again: scoregen rerun OUT.toml.",
                 2, true, "pipeline", declare, run);

}  // namespace scoregen::cli
