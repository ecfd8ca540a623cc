// `scoregen inpaint`: flags -> engine::inpaint.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/tasks/inpaint.hpp"
#include "scoregen/error.hpp"

namespace scoregen::cli {

namespace {

// The flags that set [inpaint] keys.
const std::vector<KeyFlag> kInpaintFlags = {{"n,num", "inpaint.num"}, {"method", "inpaint.method"},
                                            {"particles", "inpaint.particles"}, {"sweeps", "inpaint.sweeps"}};

void declare_inpaint(cxxopts::Options& options) {
  add_sampler_options(options);
  add_picture_options(options);
  add_json_option(options);
  options.add_options("inpainting")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("image", "input image (.png/.jpg, or .npy in the data's range) or a folder of them", cxxopts::value<std::string>())
      ("mask", "mask: .png (white = keep, black = fill), .npy of 0/1, or the part to fill: top-half, bottom-half, "
       "left-half, right-half, center (the middle half of the height and of the width)", cxxopts::value<std::string>())
      ("colorize", "colorize grey images (the grey channel is known; no mask)")
      ("o,out", "output (.png, .npy, .pt), or a folder when --image is a folder; the record is OUT.toml "
       "(FOLDER/scoregen-record.toml)", cxxopts::value<std::string>());
  add_key_flags(options, "inpainting", kInpaintFlags);
}

int run_inpaint(const cxxopts::ParseResult& args, const std::vector<std::string>& argv) {
  if (!args.count("image")) throw Error("scoregen inpaint: --image is required");
  if (!args.count("out")) throw Error("scoregen inpaint: --out is required");
  if (!args.count("colorize") && !args.count("mask")) throw Error("scoregen inpaint: --mask is required (or --colorize)");
  if (args.count("colorize") && args.count("mask"))
    throw Error("scoregen inpaint: --colorize takes no --mask (the grey channel is known)");
  engine::InpaintRequest r;
  r.session = session_request(args, argv, kInpaintFlags);
  apply_sampler_options(args, r.session);
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.image = flag_or_empty(args, "image");
  r.mask = flag_or_empty(args, "mask");
  r.colorize = args.count("colorize") > 0;
  r.out = flag_or_empty(args, "out");
  r.picture = picture_options(args);
  engine::inpaint(r).print(args.count("json") > 0);
  return 0;
}

}  // namespace

SCOREGEN_COMMAND("inpaint", "fill masked pixels (or colorize grey images) with the sampler's projection",
                 "Fill the masked part of images with the pipeline's [sampler], keeping the known part (mask white =\n"
                 "keep), or colorize grey images (--colorize). The sampler applies the known part after every update\n"
                 "(the ode sampler cannot, and is refused); RePaint resampling is the pc sampler's jump_length and\n"
                 "resample. --image may be a folder: each image is inpainted with the same mask and written into the\n"
                 "--out folder.\n"
                 "--method smc (sequential Monte Carlo: MCGdiff's filter, Cardoso et al. 2024, with potentials from the\n"
                 "model's own Gaussian law of the known part; docs/formulas.md) corrects replacement's bias: each of\n"
                 "the --num completions is one\n"
                 "particle, drawn by the final weights, of its own system of --particles K particles that follow the\n"
                 "pc sampler's Gaussian moves steered to the known part. Completions are independent, and each is an\n"
                 "exact draw of p(unknown | known) under the model as K grows; the last move is SMC's own (no final\n"
                 "denoising). --sweeps S (default 4) runs S such systems per completion and keeps one by particle\n"
                 "independent Metropolis-Hastings (Andrieu et al. 2010), which removes the O(1/K) bias of one system.\n"
                 "The cost is 2 S K times replacement's network evaluations (each move also takes the score's Jacobian\n"
                 "on the known part); the effective sample sizes, the acceptance and NFE are printed.",
                 7, true, "pipeline", declare_inpaint, run_inpaint);

}  // namespace scoregen::cli
