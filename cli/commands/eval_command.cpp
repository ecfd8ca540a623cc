// `scoregen eval`: flags -> engine::evaluate.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/evaluation.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

// The flags that set [eval] keys.
const std::vector<KeyFlag> kEvalFlags = {{"n,num", "eval.num"}, {"b,batch-size", "eval.batch_size"},
                                         {"nll-num", "eval.nll_num"}};

void declare_eval(cxxopts::Options& options) {
  add_sampler_options(options);
  add_json_option(options);
  options.add_options("evaluation")
      ("c,checkpoint", "the score model's checkpoint", cxxopts::value<std::string>())
      ("classifier", "pipeline of the evaluation classifier (default: the one stored in its checkpoint)", cxxopts::value<std::string>())
      ("classifier-checkpoint", "the evaluation classifier's checkpoint", cxxopts::value<std::string>())
      ("test-split", "the split of the model's and the classifier's [data] used as test set (default: the data set's "
       "held-out split: t10k of idx, test of images and cifar10)",
       cxxopts::value<std::string>())
      ("class", "guide the samples towards class Y with the evaluation classifier itself and report the fraction it "
       "assigns to Y", cxxopts::value<std::int64_t>())
      ("guidance-scale", "W, the weight of the guidance term (default 1; needs --class)", cxxopts::value<double>())
      ("inception", "also report Inception FID, KID and IS with this network (inception-2015-12-05.pt; "
       "docs/evaluation.md)", cxxopts::value<std::string>())
      ("fid-ref", "the FID's reference statistics FILE.npz (mu, sigma: scoregen fid-ref, pytorch-fid, clean-fid, EDM; "
       "default: the N test examples'); needs --inception", cxxopts::value<std::string>())
      ("o,out", "also write the report to this text file, with its record (OUT.toml)", cxxopts::value<std::string>());
  add_key_flags(options, "evaluation", kEvalFlags);
}

int run_eval(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  if (args.count("fid-ref") && !args.count("inception"))
    throw Error("scoregen eval: --fid-ref holds Inception statistics; give the network too (--inception FILE)");
  if (!args.count("classifier-checkpoint")) {  // a data set that knows its density judges: no classifier to use
    if (args.count("classifier"))
      throw Error("scoregen eval: --classifier is the pipeline of --classifier-checkpoint, which is not given");
    if (args.count("class"))
      throw Error("scoregen eval: --class guides with the evaluation classifier, which is not given (for a guided toy "
                  "model, scoregen sample --class with the pipeline's [guidance])");
  }
  engine::EvalRequest r;
  r.session = session_request(args, argv, kEvalFlags);
  apply_sampler_options(args, r.session);
  r.assembly = assembly_request(args, "scoregen eval");
  r.classifier_pipeline = flag_or_empty(args, "classifier");
  r.classifier_checkpoint = flag_or_empty(args, "classifier-checkpoint");
  r.test_split = flag_or_empty(args, "test-split");
  r.inception.inception = flag_or_empty(args, "inception");
  r.inception.fid_ref = flag_or_empty(args, "fid-ref");
  r.out = flag_or_empty(args, "out");
  engine::evaluate(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("eval", "judge samples: Inception FID/KID/IS, classifier-space distance, bits/dim; toy mode weights",
                 "Evaluate a trained image model: a Frechet distance between samples and the test set in the feature space\n"
                 "of a trained [guidance] classifier (not the Inception FID: the numbers are comparable only with each\n"
                 "other) with, beside it, the same distance between two disjoint blocks of N test examples (what a\n"
                 "perfect sampler scores at this N), the entropy of the classifier's class distribution of the samples\n"
                 "(log K = uniform), and bits/dim of test examples (dequantized, PF-ODE). The reference test set, its pixel\n"
                 "scale and the classifier's t = eps come from the classifier's own pipeline; samples are mapped to that\n"
                 "scale, so models on [0, 1] and on [-1, 1] are compared alike. Models on a discrete chain (smld, ddpm)\n"
                 "get no bits/dim. With the defaults ([eval] num 1000) it takes about 15 minutes on 2 CPU cores with the\n"
                 "shipped VP model's 1000-step sampler; --sampler dpm-solver++ --steps 20 takes about a minute.\n\n"
                 "With --inception FILE (the 2015 Inception network every paper's numbers use, inception-2015-12-05.pt),\n"
                 "it also reports, with or without a classifier: the FID of the samples against --fid-ref FILE.npz\n"
                 "(scoregen fid-ref, pytorch-fid, clean-fid or EDM statistics) or the N test examples, beside the FID of\n"
                 "N other test examples (the floor at this N); KID against the test examples ([eval] kid_subsets,\n"
                 "kid_subset_size); and the Inception score ([eval] is_splits). Papers report FID over 50000 samples; at\n"
                 "a CPU's N, KID (unbiased) is the number to compare (docs/evaluation.md).\n\n"
                 "Without --classifier-checkpoint and --inception, a model of data that know their density ([data] plugin = \"mixture\")\n"
                 "is judged exactly: the mode weights of its samples against the true weights (the NCSN paper's test of\n"
                 "Langevin dynamics), a sliced Wasserstein-1 distance to fresh data draws beside the floor at this N, and\n"
                 "the PF-ODE log-likelihood of data draws beside their exact log-likelihood.",
                 8, true, "pipeline", declare_eval, run_eval);

}  // namespace scoregen::cli
