// `scoregen sample`: flags -> engine::sample.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/sampling.hpp"

namespace scoregen::cli {

namespace {

// The flags that set [sample] keys.
const std::vector<KeyFlag> kSampleFlags = {
    {"n,num", "sample.num"}, {"b,batch-size", "sample.batch_size"},
    {"o,out", "sample.out", "its record is OUT.toml (and a PNG's text chunk)"},
    {"guidance", "sample.guidance"}, {"particles", "sample.particles"},
    {"sweeps", "sample.sweeps"}};

void declare_sample(cxxopts::Options& options) {
  add_sampler_options(options);
  add_checkpoint_and_class_options(options);
  add_picture_options(options);
  add_json_option(options);
  add_key_flags(options, "sampling", kSampleFlags);
  options.add_options("sampling")
      ("overlay", "2-D data: draw the pipeline's [data] beneath the samples in the scatter plot");
}

int run_sample(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  engine::SampleRequest r{session_request(args, argv, kSampleFlags), assembly_request(args, "scoregen sample"),
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
