// `scoregen fid-ref`: flags -> engine::write_fid_reference.
#include <fmt/format.h>

#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/fid_reference.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

void declare_fid_ref(cxxopts::Options& options) {
  add_json_option(options);
  options.add_options("statistics")
      ("inception", "the 2015 Inception network as TorchScript (inception-2015-12-05.pt; docs/evaluation.md)",
       cxxopts::value<std::string>())
      ("split", "the split of [data] to summarize (default: the pipeline's own, e.g. train)", cxxopts::value<std::string>())
      ("n,num", "summarize the first N examples (default: all)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "images through the network at once (default 250)", cxxopts::value<std::int64_t>())
      ("o,out", "the statistics FILE.npz (mu, sigma), with its record", cxxopts::value<std::string>());
}

int run_fid_ref(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  for (const char* needed : {"inception", "out"})
    if (!args.count(needed)) throw Error(fmt::format("scoregen fid-ref: --{} is required", needed));
  engine::FidReferenceRequest r;
  r.session = session_request(args, argv);
  if (args.count("split")) {
    r.session.test_split = args["split"].as<std::string>();
    if (r.session.test_split->empty()) throw Error("--split: name a split of [data] (e.g. train or test)");
  }
  r.inception = args["inception"].as<std::string>();
  r.out = args["out"].as<std::string>();
  r.num = flag<std::int64_t>(args, "num").value_or(0);
  r.batch = flag<std::int64_t>(args, "batch-size").value_or(250);
  if (r.num < 0) throw Error("--num must be 0 (all) or more");
  if (r.batch < 1) throw Error("--batch-size must be 1 or more");
  engine::write_fid_reference(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("fid-ref", "the Inception statistics (mu, sigma) of a data set, as the .npz FID tools read",
                 "Summarize the images of PIPELINE's [data] in the pool features of the 2015 Inception network (--inception,\n"
                 "the inception-2015-12-05.pt of StyleGAN2-ADA, clean-fid and EDM): their mean mu and covariance sigma\n"
                 "(float64, numpy.cov), written as FILE.npz the way pytorch-fid, clean-fid and EDM's `fid.py ref` write\n"
                 "them, so a file from either side works in the other. `scoregen eval --inception FILE --fid-ref FILE.npz`\n"
                 "reports the FID of samples against it; published FIDs use the whole training set (CIFAR-10: 50000\n"
                 "images, --split train). Images are read as uint8 RGB (grey repeated), as those tools read them.",
                 13, true, "pipeline", declare_fid_ref, run_fid_ref);

}  // namespace scoregen::cli
