// `scoregen inpaint`: fill the unknown pixels of images (mask white = keep) or colorize grey images, by
// projecting the known part after every sampler update; optional RePaint resampling; batch over a folder.
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/error.hpp"
#include "scoregen/inpainting.hpp"
#include "scoregen/io.hpp"
#include "scoregen/sampler.hpp"

namespace fs = std::filesystem;

namespace scoregen::cli {

namespace {

bool is_array_file(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  return ext == ".npy" || ext == ".pt";
}

at::Tensor read_array(const std::string& p) {
  return (fs::path(p).extension() == ".pt" ? load_pt(p) : load_npy(p)).to(at::kFloat);
}

// The image as [C, H, W] in the data's range.
at::Tensor read_input(const std::string& path, const std::vector<std::int64_t>& shape, double lo, double hi) {
  at::Tensor x = is_array_file(path) ? read_array(path) : load_image(path, shape.size() == 3 ? static_cast<int>(shape[0]) : 1, lo, hi);
  if (x.numel() != [&] { std::int64_t n = 1; for (auto v : shape) n *= v; return n; }())
    throw Error(fmt::format("{}: shape [{}] does not match the model's [{}]", path, fmt::join(x.sizes(), ", "),
                            fmt::join(shape, ", ")));
  if (!at::isfinite(x).all().item<bool>()) throw Error(fmt::format("{}: contains NaN or infinite values", path));
  return x.reshape(shape);
}

// Mask 1 = known: a PNG (white = keep, black = fill) or an array of 0/1; must be binary and of the image's size.
at::Tensor read_mask(const std::string& path, const std::vector<std::int64_t>& shape) {
  at::Tensor m = is_array_file(path) ? read_array(path) : load_image(path, 1, 0.0, 1.0);
  if (!((m == 0) | (m == 1)).all().item<bool>())
    throw Error(fmt::format("{}: the mask is not binary (only black 0 and white 255, or 0 and 1, are allowed)", path));
  std::vector<std::int64_t> spatial(shape.begin() + (shape.size() == 3 ? 1 : 0), shape.end());
  if (shape.size() == 3 && m.dim() == 3 && m.size(0) == 1) m = m.squeeze(0);
  if (shape.size() == 3 && m.sizes() == at::IntArrayRef(spatial)) return m.unsqueeze(0).expand(shape).contiguous();
  if (m.sizes() == at::IntArrayRef(shape)) return m;
  throw Error(fmt::format("{}: mask of size [{}] does not match the image's [{}]", path, fmt::join(m.sizes(), ", "),
                          fmt::join(shape, ", ")));
}

std::vector<std::string> image_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".npy")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(fmt::format("{}: no .png, .jpg or .npy files", dir));
  return files;
}

}  // namespace

int run_inpaint(int argc, char** argv) {
  cxxopts::Options options("scoregen inpaint",
                           "Fill the masked part of images with the pipeline's [sampler], keeping the known part\n"
                           "(mask white = keep), or colorize grey images (--colorize). --image may be a folder: each\n"
                           "image is inpainted with the same mask and written into the --out folder.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("inpainting")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("image", "input image (.png/.jpg, or .npy in the data's range) or a folder of them", cxxopts::value<std::string>())
      ("mask", "mask (.png: white = keep, black = fill; or .npy of 0/1)", cxxopts::value<std::string>())
      ("colorize", "colorize grey images (the grey channel is known; no mask)")
      ("n,num", "completions per image (a grid when more than one)", cxxopts::value<std::int64_t>()->default_value("1"))
      ("o,out", "output (.png, .npy, .pt), or a folder when --image is a folder", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  if (!args.count("image")) throw Error("scoregen inpaint: --image is required");
  if (!args.count("out")) throw Error("scoregen inpaint: --out is required");
  const bool colorize = args.count("colorize") > 0;
  if (!colorize && !args.count("mask")) throw Error("scoregen inpaint: --mask is required (or --colorize)");
  if (colorize && args.count("mask")) throw Error("scoregen inpaint: --colorize takes no --mask (the grey channel is known)");
  const std::string image = args["image"].as<std::string>(), out = args["out"].as<std::string>();
  const std::int64_t num = args["num"].as<std::int64_t>();
  if (num < 1) throw Error("--num must be >= 1");
  const bool batch_mode = fs::is_directory(image);
  if (batch_mode && !fs::is_directory(out)) throw Error(fmt::format("{}: with a folder of images, --out must be an existing folder", out));
  if (!batch_mode) check_output_extension(out);

  Session s = open_session(args, {});
  const std::string ckpt = args.count("checkpoint") ? args["checkpoint"].as<std::string>() : std::string();
  auto network = load_network(s, ckpt, "scoregen inpaint");
  auto sampler = s.pipeline->create_as<Sampler>("sampler", s.context(), "scoregen inpaint");
  ScoreModel model(network, s.sde);
  model.set_device(s.device);
  std::vector<std::int64_t> shape = example_shape(s, *network);
  if (colorize && (shape.size() != 3 || shape[0] != 3)) throw Error("--colorize needs a model of RGB images [3, H, W]");
  double lo = -1, hi = 1;
  if (s.data) std::tie(lo, hi) = s.data->range();
  const Options& cfg = s.pipeline->options("inpaint");
  const std::int64_t jump = cfg.integer("jump_length"), resample = cfg.integer("resample");
  if (jump < 1) cfg.fail("jump_length", "must be >= 1");
  if (resample < 1) cfg.fail("resample", "must be >= 1");
  if (resample > 1 && s.pipeline->plugin("sampler").name != "pc")
    cfg.fail("resample", "RePaint resampling needs the pc sampler");

  at::Tensor mask;
  if (colorize) {
    mask = at::zeros(shape);
    mask[0].fill_(1);  // decoupled channel 0 (grey) is known
  } else {
    mask = read_mask(args["mask"].as<std::string>(), shape);
  }
  std::vector<std::string> inputs = batch_mode ? image_files(image) : std::vector<std::string>{image};
  torch::NoGradGuard no_grad;
  at::Generator gen = s.generator(30);
  for (const auto& in : inputs) {
    at::Tensor y = read_input(in, shape, lo, hi);
    if (colorize) {
      // a grey input: every channel the same grey value
      y = y.mean(0, true).expand(shape).contiguous();
    }
    std::vector<std::int64_t> bshape = shape;
    bshape.insert(bshape.begin(), num);
    SampleHooks hooks = projection_hooks(*s.sde, y.unsqueeze(0).to(s.device), mask.unsqueeze(0).to(s.device), colorize, gen);
    hooks.jump_length = jump, hooks.resample = resample;
    Progress progress(fs::path(in).filename().string(), sampler->steps(*s.sde), !s.quiet);
    at::Tensor result = sampler->sample(model, bshape, gen, progress, hooks);
    progress.finish();
    result = combine_known(result, y.unsqueeze(0).to(s.device), mask.unsqueeze(0).to(s.device), colorize).cpu();
    if (!at::isfinite(result).all().item<bool>()) throw Error(fmt::format("{}: sampling diverged (non-finite values)", in));
    std::string target = batch_mode ? (fs::path(out) / (fs::path(in).stem().string() + ".png")).string() : out;
    if (s.data) result = s.data->to_data(result);
    if (result.dim() == 4 && fs::path(target).extension() == ".png")
      save_image_grid(result, target, lo, hi, static_cast<int>(std::min<std::int64_t>(num, 8)), num > 1 ? 2 : 0);
    else
      save_samples(result, target, lo, hi);
    fmt::print("{} -> {}\n", in, target);
  }
  fmt::print("inpaint: {} image(s) with {}{}; NFE {}\n", inputs.size(), sampler->describe(),
             resample > 1 ? fmt::format(", RePaint jump {} x{}", jump, resample) : std::string(), model.nfe());
  return 0;
}

}  // namespace scoregen::cli
