// `scoregen sample`: flags -> engine::sample.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/sampling.hpp"

namespace scoregen::cli {

namespace {

void declare_sample(cxxopts::Options& options) {
  add_sampler_options(options);
  add_checkpoint_and_class_options(options);
  add_picture_options(options);
  add_json_option(options);
  options.add_options("sampling")
      ("n,num", "number of samples (sample.num)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "samples drawn at once; bounds memory (sample.batch_size)", cxxopts::value<std::int64_t>())
      ("o,out", "output: .png (image grid, or scatter plot for 2-D data), .npy or .pt (sample.out); its record is OUT.toml",
       cxxopts::value<std::string>())
      ("overlay", "2-D data: draw the pipeline's [data] beneath the samples in the scatter plot")
      ("guidance", "with --class and a [guidance] classifier: gradient (its gradient joins the score) or smc (sequential "
       "Monte Carlo, asymptotically exact for p(x) p(y | x)^scale as --particles grows) (sample.guidance)",
       cxxopts::value<std::string>())
      ("particles", "smc: particles per sample; each sample is one particle, drawn by the final weights, of its own "
       "particle system, so samples are independent (sample.particles)", cxxopts::value<std::int64_t>())
      ("sweeps", "smc: independent particle systems per sample, combined by particle independent Metropolis-Hastings; "
       "exact at any --particles as they grow, 1: plain SMC (sample.sweeps)", cxxopts::value<std::int64_t>());
}

int run_sample(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  std::vector<FlagOverride> extra;
  override_from<std::int64_t>(args, "num", "sample.num", extra);
  override_from<std::int64_t>(args, "batch-size", "sample.batch_size", extra);
  override_from<std::string>(args, "out", "sample.out", extra);
  override_from<std::string>(args, "guidance", "sample.guidance", extra);
  override_from<std::int64_t>(args, "particles", "sample.particles", extra);
  override_from<std::int64_t>(args, "sweeps", "sample.sweeps", extra);
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
                 "chunk in a PNG) makes it again: scoregen rerun OUT.toml.\n"
                 "--class Y with a [guidance] classifier adds its gradient to the score by default (Song et al. 2021,\n"
                 "eq. 14), exact only when the classifier is the exact p_t(y | x). --guidance smc instead runs sequential\n"
                 "Monte Carlo (the twisted diffusion sampler, Wu et al. 2023): each sample is one particle, drawn by the\n"
                 "final weights, of its own system of --particles K particles that follow the [sampler]'s moves guided by\n"
                 "the classifier and are weighed against the unguided moves; the samples are independent and exact draws\n"
                 "of p(x) p(y | x)^scale (the classifier at the grid's last time) as K grows. --sweeps S (default 4)\n"
                 "runs S such systems per sample and keeps one by particle independent Metropolis-Hastings (Andrieu et\n"
                 "al. 2010), which removes the O(1/K) bias of one system. Needs the pc sampler; NFE per sample is S K\n"
                 "times the sampler's (docs/formulas.md \"Sequential Monte Carlo guidance\").",
                 2, true, "pipeline", declare_sample, run_sample);

}  // namespace scoregen::cli
