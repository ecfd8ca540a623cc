// `scoregen inpaint`: flags -> engine::inpaint.
#include "commands/command.hpp"
#include "commands/flags.hpp"
#include "engine/inpaint.hpp"

namespace scoregen::cli {

namespace {

int run(int argc, char** argv) {
  cxxopts::Options options("scoregen inpaint",
                           "Fill the masked part of images with the pipeline's [sampler], keeping the known part\n"
                           "(mask white = keep), or colorize grey images (--colorize). The sampler applies the known\n"
                           "part after every update (the ode sampler cannot, and is refused); RePaint resampling is the\n"
                           "pc sampler's jump_length and resample. --image may be a folder: each image is inpainted\n"
                           "with the same mask and written into the --out folder.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("inpainting")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("sampler", "use this sampler plugin with its defaults instead of [sampler]", cxxopts::value<std::string>())
      ("image", "input image (.png/.jpg, or .npy in the data's range) or a folder of them", cxxopts::value<std::string>())
      ("mask", "mask (.png: white = keep, black = fill; or .npy of 0/1)", cxxopts::value<std::string>())
      ("colorize", "colorize grey images (the grey channel is known; no mask)")
      ("n,num", "completions per image (a grid when more than one)", cxxopts::value<std::int64_t>()->default_value("1"))
      ("o,out", "output (.png, .npy, .pt), or a folder when --image is a folder", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  override_from<std::string>(args, "sampler", "sampler", extra);
  engine::InpaintRequest r;
  r.session = session_request(args, extra);
  r.assembly.checkpoint = flag_or_empty(args, "checkpoint");
  r.image = flag_or_empty(args, "image");
  r.mask = flag_or_empty(args, "mask");
  r.colorize = args.count("colorize") > 0;
  r.num = args["num"].as<std::int64_t>();
  r.out = flag_or_empty(args, "out");
  return engine::inpaint(r);
}

}  // namespace

SCOREGEN_COMMAND(7, "inpaint", "fill masked pixels (or colorize grey images) with the sampler's projection", run);

}  // namespace scoregen::cli
