// Inpainting and colorization of one image or a folder of images.
#include "engine/tasks/inpaint.hpp"

#include <algorithm>
#include <filesystem>

#include <ATen/ATen.h>
#include <c10/util/accumulate.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/memory_budget.hpp"
#include "engine/host/record.hpp"
#include "engine/host/sampler_capabilities.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/files.hpp"
#include "engine/io/image_io.hpp"
#include "engine/io/progress_bar.hpp"
#include "engine/math/inpainting.hpp"
#include "engine/math/smc_inpainting.hpp"
#include "scoregen/error.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

bool is_array_file(const std::string& p) { return extension(p) == ".npy" || extension(p) == ".pt"; }

// The image as [C, H, W] in the data's range. An 8-bit array (uint8) is pixels, mapped as a PNG is; a float array of
// an image model must already be in the data's range: 0..255 values given to a [-1, 1] model are refused.
at::Tensor read_input(const std::string& path, const std::vector<std::int64_t>& shape, double lo, double hi) {
  const bool image = shape.size() == 3;
  at::Tensor x;
  if (!is_array_file(path)) {
    x = load_image(path, image ? static_cast<int>(shape[0]) : 1, lo, hi);
  } else {
    x = load_stored_array(path);
    x = x.scalar_type() == at::kByte ? lo + (hi - lo) * x.to(at::kFloat) / 255.0 : x.to(at::kFloat);
  }
  at::IntArrayRef given = x.sizes();
  if (given.size() > 1 && given[0] == 1) given = given.slice(1);  // one row of a batch
  if (!example_fits(given, shape))
    throw Error(fmt::format("{}: shape [{}] does not match the model's [{}]{}", path, fmt::join(x.sizes(), ", "),
                            fmt::join(shape, ", "),
                            shape.size() > 1 ? fmt::format(" (or [{}] flat)", c10::multiply_integers(shape)) : std::string()));
  if (!at::isfinite(x).all().item<bool>()) throw Error(fmt::format("{}: contains NaN or infinite values", path));
  if (image) {
    // samples may overshoot the range a little; pixel values of another range do not fit it
    const double slack = 0.1 * (hi - lo), least = x.min().item<double>(), most = x.max().item<double>();
    if (least < lo - slack || most > hi + slack)
      throw Error(fmt::format("{}: values in [{:.4g}, {:.4g}], outside the model's data range [{:.4g}, {:.4g}] (pixels "
                              "0..255 as floats?); scale them to [{:.4g}, {:.4g}], or give uint8 pixels or a PNG",
                              path, least, most, lo, hi, lo, hi));
  }
  return x.reshape(shape);
}

// A named mask of images [C, H, W]: which part is filled (0); the rest is known (1).
at::Tensor named_mask(const std::string& name, const std::vector<std::int64_t>& shape) {
  at::Tensor m = at::ones(shape);
  const std::int64_t h = shape[1], w = shape[2];
  if (name == "top-half") m.narrow(1, 0, h / 2).zero_();
  else if (name == "bottom-half") m.narrow(1, h / 2, h - h / 2).zero_();
  else if (name == "left-half") m.narrow(2, 0, w / 2).zero_();
  else if (name == "right-half") m.narrow(2, w / 2, w - w / 2).zero_();
  else if (name == "center") m.narrow(1, h / 4, h / 2).narrow(2, w / 4, w / 2).zero_();
  return m;
}

// Mask 1 = known: a name (top-half, bottom-half, left-half, right-half, center: the part filled), a PNG (white =
// keep, black = fill) or an array of 0/1; must be binary and of the image's size.
at::Tensor read_mask(const std::string& path, const std::vector<std::int64_t>& shape) {
  for (const char* name : {"top-half", "bottom-half", "left-half", "right-half", "center"})
    if (path == name) {
      if (shape.size() != 3) throw Error(fmt::format("--mask {}: a named mask needs image data [C, H, W]", path));
      return named_mask(path, shape);
    }
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(fmt::format("--mask {}: no such file, nor a named mask (top-half, bottom-half, left-half, right-half, "
                            "center)", path));
  const bool picture = !is_array_file(path);
  at::Tensor m = picture ? load_image(path, 1, 0.0, 255.0) : load_array(path);
  // a PNG is black 0 / white 255; one whose pixels are all 0 and 1 (a 0/1 array saved as an image) reads the same
  if (picture && ((m == 0) | (m == 255)).all().item<bool>()) m = m / 255.0;
  const at::Tensor flat = m.flatten(), other = flat.masked_select((flat != 0) & (flat != 1));
  if (other.numel() > 0)
    throw Error(fmt::format("{}: the mask is not binary: it holds {:.4g} (an image mask is black 0 and white 255, or "
                            "only 0 and 1; an array mask is 0 and 1)", path, other[0].item<double>()));
  std::vector<std::int64_t> spatial(shape.begin() + (shape.size() == 3 ? 1 : 0), shape.end());
  // Leading axes of length 1 (a mask saved as one row [1, D], or one channel [1, H, W]) are not the image's.
  while (m.dim() > static_cast<std::int64_t>(spatial.size()) && m.size(0) == 1) m = m.squeeze(0);
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

// A PNG grid shows what was asked beside the answers: a first row with the input, the input with the filled part grey
// and the mask (white: kept), or only the grey input when colorizing; the completions in the rows below. All [.., C,
// H, W] in the data's range `lo..hi`.
at::Tensor with_context(const at::Tensor& completions, const at::Tensor& input, const at::Tensor& mask, bool colorize,
                        double lo, double hi, int columns) {
  std::vector<at::Tensor> row{input};
  if (!colorize) row.push_back(input * mask + 0.5 * (lo + hi) * (1 - mask)), row.push_back(lo + (hi - lo) * mask);
  while (static_cast<int>(row.size()) < columns) row.push_back(at::full_like(input, lo));
  return at::cat({at::stack(row), completions});
}

}  // namespace

Report inpaint(const InpaintRequest& r) {
  const bool batch_mode = fs::is_directory(r.image);
  if (batch_mode && !fs::is_directory(r.out))
    throw Error(fmt::format("{}: with a folder of images, --out must be an existing folder", r.out));
  if (!batch_mode) check_output_extension(r.out);
  const std::vector<RecordInput> files_read = {{"checkpoint", r.assembly.checkpoint}, {"image", r.image}, {"mask", r.mask}};
  check_output_apart("--out", r.out, files_read, r.session.pipeline_path);

  AssemblyRequest ar = r.assembly;
  ar.command = "scoregen inpaint";
  ar.sampler = true;
  Assembly a = assemble(open_session(r.session), ar);
  const Session& s = a.session;
  const Options& settings = s.pipeline->options("inpaint");
  const std::int64_t num = settings_of<InpaintSettings>(settings).num;
  const SmcSettings smc_settings = read_smc_settings("inpaint", settings, "method");
  const bool smc = smc_settings.on;
  const std::int64_t particles = smc ? smc_settings.particles : 1;
  if (smc) require_gaussian_draws(s, *a.sampler, "[inpaint] method = \"smc\"");
  if (!smc && !a.sampler->honours_projection())
    throw Error(fmt::format("{}: the {} sampler cannot apply the inpainting projection after every update, so its "
                            "completions would ignore the known part{}",
                            s.pipeline->source(), s.pipeline->plugin("sampler").name,
                            sampler_remedy(s, [](const Sampler& sampler) { return sampler.honours_projection(); })));
  const std::vector<std::int64_t>& shape = a.shape;
  check_picture_options(r.picture, batch_mode ? "FOLDER/IMAGE.png" : r.out, shape);
  if (r.colorize && (shape.size() != 3 || shape[0] != 3)) throw Error("--colorize needs a model of RGB images [3, H, W]");
  const auto [lo, hi] = s.data ? s.data->range() : a.mapping.range_without_data;

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
  require_memory_for(static_cast<double>(inputs.size()) * static_cast<double>(num), shape,
                     "[inpaint] num (completions per image) x images");
  require_memory_for(static_cast<double>(num) * static_cast<double>(particles), shape,
                     "[inpaint] num (completions per image) x particles");
  std::vector<std::int64_t> all = shape;
  all.insert(all.begin(), {static_cast<std::int64_t>(inputs.size()), num});
  at::Tensor results = at::zeros(all, at::kFloat);
  std::vector<at::Tensor> given(inputs.size());  // the inputs as the model sees them (grey when colorizing)
  const std::int64_t start_nfe = a.model->nfe();
  // Per image: SMC's figures (kSmcColumns), summed over the ranks below
  at::Tensor smc_rows = at::zeros({static_cast<std::int64_t>(inputs.size()), kSmcColumns}, at::kDouble);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    at::Tensor y = read_input(in, shape, lo, hi);  // every rank reads every input: a bad one is everyone's error
    if (r.colorize) y = y.mean(0, true).expand(shape).contiguous();  // a grey input: every channel the same grey
    given[i] = y;
    if (!group.mine(static_cast<std::int64_t>(i))) continue;
    std::vector<std::int64_t> bshape = shape;
    bshape.insert(bshape.begin(), num * particles);
    at::Tensor known = y.unsqueeze(0).to(s.device), m = mask.unsqueeze(0).to(s.device);
    at::Generator gen = s.generator(Stream::Inpainting, i);
    const std::string label = fs::path(in).filename().string();
    at::Tensor result;
    if (smc) {
      // num independent particle systems per sweep; each completion is one particle of its own system
      std::vector<std::int64_t> groups = shape;
      groups.insert(groups.begin(), num);
      result = run_sweeps(smc_settings, gen, [&](const std::string& sweep) {
        ProgressBar progress(label + sweep, a.sampler->steps(*s.sde), !s.quiet);
        SmcInpainting conditional(*a.model, known.expand(groups), m, r.colorize, particles, smc_settings.ess_threshold, gen);
        at::Tensor draws = conditional.select(a.sampler->sample(*a.model, bshape, gen, progress, conditional.hooks()));
        progress.finish();
        return SmcSweep{draws, conditional.log_evidence(), conditional.summary()};
      }, smc_rows[static_cast<std::int64_t>(i)]);
    } else {
      ProgressBar progress(label, a.sampler->steps(*s.sde), !s.quiet);
      result = a.sampler->sample(*a.model, bshape, gen, progress, projection_hooks(*s.sde, known, m, r.colorize, gen));
      progress.finish();
    }
    results[static_cast<std::int64_t>(i)].copy_(combine_known(result, known, m, r.colorize).cpu());
  }
  at::Tensor nfe = at::full({1}, static_cast<double>(a.model->nfe() - start_nfe), at::kDouble);
  std::vector<at::Tensor> sums{results, nfe, smc_rows};
  group.all_reduce_sum(sums);
  Report report;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!at::isfinite(results[static_cast<std::int64_t>(i)]).all().item<bool>())
      throw Error(fmt::format("{}: sampling diverged (non-finite values)", inputs[i]));
  if (!group.root()) return report;  // rank 0 writes every output
  PictureOptions picture = r.picture;
  picture.record = record_text(s, r.out, files_read);
  SmcDiagnostics diagnostics;
  if (smc) {
    diagnostics = smc_diagnostics(smc_rows, smc_settings, static_cast<std::int64_t>(inputs.size()) * num);
    picture.record += smc_record_entry(diagnostics);
  }
  const bool context = picture.grid && shape.size() == 3;  // a PNG grid of images: the input row above
  const int columns = static_cast<int>(std::min<std::int64_t>(num, 8));
  picture.nrow = context ? std::max(columns, r.colorize ? 1 : 3) : columns;
  picture.pad = num > 1 || context ? 2 : 0;
  std::vector<std::string> outputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    at::Tensor result = results[static_cast<std::int64_t>(i)];
    std::string target = batch_mode ? (fs::path(r.out) / (fs::path(in).stem().string() + ".png")).string() : r.out;
    if (s.data) result = s.data->to_data(result);
    if (context && extension(target) == ".png")
      result = with_context(result, s.data ? s.data->to_data(given[i]) : given[i], mask, r.colorize, lo, hi, picture.nrow);
    save_samples(result, target, lo, hi, picture);
    report.line(fmt::format("{} -> {}", in, target));
    outputs.push_back(target);
  }
  const std::string record = write_record(r.out, picture.record);
  const auto total_nfe = static_cast<std::int64_t>(nfe.item<double>());
  const std::string method =
      smc ? fmt::format("sequential Monte Carlo, {} particles per completion and {} sweep(s), over the moves of {} (the "
                        "last move is SMC's draw, not denoised)", particles, smc_settings.sweeps, a.sampler->describe())
          : a.sampler->describe() + " with replacement";
  report.line(fmt::format("inpaint: {} image(s) by {}; NFE {} (record: {})", inputs.size(), method, total_nfe, record));
  report.field("command", "inpaint").field("output", r.out).field("outputs", outputs).field("record", record)
      .field("images", static_cast<std::int64_t>(inputs.size())).field("num", num).field("sampler", a.sampler->describe())
      .field("steps", a.sampler->steps(*s.sde)).field("seed", s.seed).field("method", smc ? "smc" : "replace")
      .field("nfe", total_nfe);
  if (smc) {
    report.line(smc_report_line(diagnostics, "completion"));
    if (const std::string warning = smc_warning(diagnostics, "--particles ([inpaint] particles)"); !warning.empty()) report.line(warning);
    report.field("particles", particles).field("sweeps", diagnostics.sweeps).field("acceptance", diagnostics.acceptance)
        .field("min_ess", diagnostics.min_ess).field("median_ess", diagnostics.median_ess)
        .field("resamplings_per_completion", diagnostics.resamplings_per_output).field("moves", diagnostics.moves);
  }
  return report;
}

}  // namespace scoregen::engine
