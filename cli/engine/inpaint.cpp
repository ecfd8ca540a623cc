// Inpainting and colorization of one image or a folder of images.
#include "engine/inpaint.hpp"

#include <algorithm>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/array_io.hpp"
#include "engine/files.hpp"
#include "engine/image_io.hpp"
#include "engine/inpainting.hpp"
#include "engine/progress_bar.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

bool is_array_file(const std::string& p) { return extension(p) == ".npy" || extension(p) == ".pt"; }

// The image as [C, H, W] in the data's range.
at::Tensor read_input(const std::string& path, const std::vector<std::int64_t>& shape, double lo, double hi) {
  at::Tensor x = is_array_file(path) ? load_array(path)
                                     : load_image(path, shape.size() == 3 ? static_cast<int>(shape[0]) : 1, lo, hi);
  if (x.numel() != numel(shape))
    throw Error(fmt::format("{}: shape [{}] does not match the model's [{}]", path, fmt::join(x.sizes(), ", "),
                            fmt::join(shape, ", ")));
  if (!at::isfinite(x).all().item<bool>()) throw Error(fmt::format("{}: contains NaN or infinite values", path));
  return x.reshape(shape);
}

// Mask 1 = known: a PNG (white = keep, black = fill) or an array of 0/1; must be binary and of the image's size.
at::Tensor read_mask(const std::string& path, const std::vector<std::int64_t>& shape) {
  at::Tensor m = is_array_file(path) ? load_array(path) : load_image(path, 1, 0.0, 1.0);
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
    const std::string ext = extension(e.path().string());
    if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".npy"))
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(fmt::format("{}: no .png, .jpg or .npy files", dir));
  return files;
}

}  // namespace

int inpaint(const InpaintRequest& r) {
  if (r.image.empty()) throw Error("scoregen inpaint: --image is required");
  if (r.out.empty()) throw Error("scoregen inpaint: --out is required");
  if (!r.colorize && r.mask.empty()) throw Error("scoregen inpaint: --mask is required (or --colorize)");
  if (r.colorize && !r.mask.empty()) throw Error("scoregen inpaint: --colorize takes no --mask (the grey channel is known)");
  if (r.num < 1) throw Error("--num must be >= 1");
  const bool batch_mode = fs::is_directory(r.image);
  if (batch_mode && !fs::is_directory(r.out))
    throw Error(fmt::format("{}: with a folder of images, --out must be an existing folder", r.out));
  if (!batch_mode) check_output_extension(r.out);

  AssemblyRequest ar = r.assembly;
  ar.command = "scoregen inpaint";
  ar.sampler = true;
  Assembly a = assemble(open_session(r.session), ar);
  const Session& s = a.session;
  if (!a.sampler->honours_projection())
    throw Error(fmt::format("{}: the {} sampler cannot apply the inpainting projection after every update, so its "
                            "completions would ignore the known part; use pc, annealed-langevin, heun-edm or dpm-solver++",
                            s.pipeline->source(), s.pipeline->plugin("sampler").name));
  const std::vector<std::int64_t>& shape = a.shape;
  if (r.colorize && (shape.size() != 3 || shape[0] != 3)) throw Error("--colorize needs a model of RGB images [3, H, W]");
  const double lo = s.data ? s.data->range().first : -1.0, hi = s.data ? s.data->range().second : 1.0;

  at::Tensor mask;
  if (r.colorize) {
    mask = at::zeros(shape);
    mask[0].fill_(1);  // decoupled channel 0 (grey) is known
  } else {
    mask = read_mask(r.mask, shape);
  }
  std::vector<std::string> inputs = batch_mode ? image_files(r.image) : std::vector<std::string>{r.image};
  torch::NoGradGuard no_grad;
  // Image i is completed with the session's generator (30, i) by whichever rank it is dealt to; the completions are
  // summed back so that rank 0 writes them all.
  const ProcessGroup& group = *s.group;
  std::vector<std::int64_t> all = shape;
  all.insert(all.begin(), {static_cast<std::int64_t>(inputs.size()), r.num});
  at::Tensor results = at::zeros(all, at::kFloat);
  const std::int64_t start_nfe = a.model->nfe();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    at::Tensor y = read_input(in, shape, lo, hi);  // every rank reads every input: a bad one is everyone's error
    if (!group.mine(static_cast<std::int64_t>(i))) continue;
    if (r.colorize) y = y.mean(0, true).expand(shape).contiguous();  // a grey input: every channel the same grey
    std::vector<std::int64_t> bshape = shape;
    bshape.insert(bshape.begin(), r.num);
    at::Tensor known = y.unsqueeze(0).to(s.device), m = mask.unsqueeze(0).to(s.device);
    at::Generator gen = s.generator(30, i);
    SampleHooks hooks = projection_hooks(*s.sde, known, m, r.colorize, gen);
    ProgressBar progress(fs::path(in).filename().string(), a.sampler->steps(*s.sde), !s.quiet);
    at::Tensor result = a.sampler->sample(*a.model, bshape, gen, progress, hooks);
    progress.finish();
    results[static_cast<std::int64_t>(i)].copy_(combine_known(result, known, m, r.colorize).cpu());
  }
  at::Tensor nfe = at::full({1}, static_cast<double>(a.model->nfe() - start_nfe), at::kDouble);
  std::vector<at::Tensor> sums{results, nfe};
  group.all_reduce_sum(sums);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    at::Tensor result = results[static_cast<std::int64_t>(i)];
    if (!at::isfinite(result).all().item<bool>()) throw Error(fmt::format("{}: sampling diverged (non-finite values)", in));
    if (!group.root()) continue;  // rank 0 writes every output
    std::string target = batch_mode ? (fs::path(r.out) / (fs::path(in).stem().string() + ".png")).string() : r.out;
    if (s.data) result = s.data->to_data(result);
    if (result.dim() == 4 && extension(target) == ".png")
      save_image_grid(result, target, lo, hi, static_cast<int>(std::min<std::int64_t>(r.num, 8)), r.num > 1 ? 2 : 0);
    else
      save_samples(result, target, lo, hi);
    fmt::print("{} -> {}\n", in, target);
  }
  fmt::print("inpaint: {} image(s) with {}; NFE {}\n", inputs.size(), a.sampler->describe(),
             static_cast<std::int64_t>(nfe.item<double>()));
  return 0;
}

}  // namespace scoregen::engine
