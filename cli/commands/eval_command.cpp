// `scoregen eval`: flags -> engine::evaluate.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/evaluation.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen eval",
                           "Evaluate a trained image model: a Frechet distance between samples and the test set in the\n"
                           "feature space of a trained [guidance] classifier (not the Inception FID: the numbers are\n"
                           "comparable only with each other) with, beside it, the same distance between two disjoint\n"
                           "blocks of N test examples (what a perfect sampler scores at this N), the entropy of the\n"
                           "classifier's class distribution of the samples (log K = uniform), and bits/dim of test\n"
                           "examples (dequantized, PF-ODE).\n"
                           "The reference test set, its pixel scale and the classifier's t = eps come from the\n"
                           "classifier's own pipeline; samples are mapped to that scale, so models on [0, 1] and on\n"
                           "[-1, 1] are compared alike. Models on a discrete chain (smld, ddpm) get no bits/dim.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("evaluation")
      ("c,checkpoint", "the score model's checkpoint", cxxopts::value<std::string>())
      ("sampler", "use this sampler plugin with its defaults instead of [sampler]", cxxopts::value<std::string>())
      ("classifier", "pipeline of the evaluation classifier (default: the one stored in its checkpoint)", cxxopts::value<std::string>())
      ("classifier-checkpoint", "the evaluation classifier's checkpoint", cxxopts::value<std::string>())
      ("n,num", "samples and test examples for the Frechet distance", cxxopts::value<std::int64_t>()->default_value("1000"))
      ("b,batch-size", "samples drawn at once", cxxopts::value<std::int64_t>()->default_value("250"))
      ("nll-num", "test examples for bits/dim (0: skip)", cxxopts::value<std::int64_t>()->default_value("64"))
      ("test-split", "the split of the model's and the classifier's [data] used as test set", cxxopts::value<std::string>()->default_value("t10k"))
      ("class", "guide the samples towards class Y with the evaluation classifier itself and report the fraction it "
       "assigns to Y", cxxopts::value<std::int64_t>())
      ("guidance-scale", "W, the weight of the guidance term", cxxopts::value<double>()->default_value("1.0"));
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  override_from<std::string>(args, "sampler", "sampler", extra);
  engine::EvalRequest r;
  r.session = session_request(args, extra);
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.assembly.class_label = flag<std::int64_t>(args, "class");
  r.assembly.guidance_scale = args["guidance-scale"].as<double>();
  r.classifier_pipeline = flag_or_empty(args, "classifier");
  r.classifier_checkpoint = flag_or_empty(args, "classifier-checkpoint");
  r.num = args["num"].as<std::int64_t>(), r.batch = args["batch-size"].as<std::int64_t>();
  r.nll_num = args["nll-num"].as<std::int64_t>();
  r.test_split = args["test-split"].as<std::string>();
  return engine::evaluate(r);
}

}  // namespace

SCOREGEN_COMMAND(8, "eval", "Frechet distance (classifier features), class entropy and bits/dim of an image model", run);

}  // namespace scoregen::cli
