// `scoregen sample`: draw samples with the pipeline's sampler and write them as PNG, .npy or .pt.
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/io.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::cli {

int run_sample(int argc, char** argv) {
  cxxopts::Options options("scoregen sample", "Draw samples from a score model with the pipeline's [sampler].");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("sampling")
      ("sampler", "use this sampler plugin with its defaults instead of the pipeline's [sampler] (refine with --set "
       "sampler.KEY=VALUE); same as --set sampler=NAME", cxxopts::value<std::string>())
      ("c,checkpoint", "trained weights (train's checkpoint.pt); its EMA weights are used, and its stored pipeline "
       "when no PIPELINE is given", cxxopts::value<std::string>())
      ("n,num", "number of samples (sample.num)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "samples drawn at once; bounds memory (sample.batch_size)", cxxopts::value<std::int64_t>())
      ("o,out", "output: .png (image grid, or scatter plot for 2-D data), .npy or .pt (sample.out)",
       cxxopts::value<std::string>())
      ("class", "draw class Y: adds W grad log p_t(Y | x) from [guidance] to the score (and passes Y to "
       "class-conditional networks)", cxxopts::value<std::int64_t>())
      ("guidance-scale", "W, the weight of the guidance term", cxxopts::value<double>()->default_value("1.0"))
      ("guidance-checkpoint", "trained weights of a [guidance] classifier (train with objective = \"classifier\")",
       cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;

  std::vector<std::string> extra;
  if (args.count("num")) extra.push_back(fmt::format("sample.num={}", args["num"].as<std::int64_t>()));
  if (args.count("batch-size")) extra.push_back(fmt::format("sample.batch_size={}", args["batch-size"].as<std::int64_t>()));
  if (args.count("out")) extra.push_back(fmt::format("sample.out=\"{}\"", args["out"].as<std::string>()));
  if (args.count("sampler")) extra.push_back(fmt::format("sampler=\"{}\"", args["sampler"].as<std::string>()));
  std::string ckpt = args.count("checkpoint") ? args["checkpoint"].as<std::string>() : std::string();
  Session s = open_session(args, extra);
  const Options& cfg = s.pipeline->options("sample");
  const std::int64_t num = cfg.integer("num"), batch = cfg.integer("batch_size");
  if (num < 1) cfg.fail("num", "must be >= 1");
  if (batch < 1) cfg.fail("batch_size", "must be >= 1");
  const std::string out = cfg.string("out");
  check_output_extension(out);

  auto network = load_network(s, ckpt, "scoregen sample");
  auto sampler = s.pipeline->create_as<Sampler>("sampler", s.context(), "scoregen sample");
  ScoreModel model(network, s.sde);
  model.set_device(s.device);
  if (args.count("class")) {
    const std::int64_t y = args["class"].as<std::int64_t>();
    if (y < 0) throw Error("--class must be >= 0");
    at::Tensor labels = at::full({batch}, y, at::TensorOptions().dtype(at::kLong).device(s.device));
    if (s.pipeline->has("guidance")) {
      auto guidance = s.pipeline->create_as<Guidance>("guidance", s.context(), "--class");
      if (torch::nn::Module* m = guidance->module()) {
        if (!args.count("guidance-checkpoint"))
          throw Error("the [guidance] classifier needs trained weights: pass --guidance-checkpoint FILE");
        CheckpointState st = load_checkpoint(args["guidance-checkpoint"].as<std::string>(), m, nullptr);
        apply_ema(*m, st.ema);
        m->to(s.device);
        m->eval();
      }
      if (s.data && s.data->num_classes() > 0 && y >= s.data->num_classes())
        throw Error(fmt::format("--class {}: the data have classes 0..{}", y, s.data->num_classes() - 1));
      model.set_guidance(guidance, labels, args["guidance-scale"].as<double>());
      fmt::print(stderr, "sample: class {} with {} guidance, scale {}\n", y, s.pipeline->plugin("guidance").name,
                 args["guidance-scale"].as<double>());
    } else {
      model.set_labels(labels);  // a class-conditional network only
    }
  }
  std::vector<std::int64_t> shape = example_shape(s, *network);

  torch::NoGradGuard no_grad;
  at::Generator gen = s.generator(1);
  std::vector<at::Tensor> parts;
  const std::int64_t batches = (num + batch - 1) / batch;
  Progress total_time("sample", 0, false);
  for (std::int64_t b = 0; b < batches; ++b) {
    std::vector<std::int64_t> bshape = shape;
    bshape.insert(bshape.begin(), std::min(batch, num - b * batch));
    Progress progress(batches > 1 ? fmt::format("sample {}/{}", b + 1, batches) : "sample", sampler->steps(*s.sde), !s.quiet);
    parts.push_back(sampler->sample(model, bshape, gen, progress, SampleHooks{}).to(at::kCPU));
    progress.finish();
  }
  at::Tensor samples = at::cat(parts, 0);
  if (!at::isfinite(samples).all().item<bool>())
    throw Error("sampling produced non-finite values (diverged); nothing was written. Try more steps or a smaller snr");
  double lo = -1, hi = 1;
  if (s.data) {
    samples = s.data->to_data(samples);  // back to the data's own range (undoes a logit transform)
    std::tie(lo, hi) = s.data->range();
    if (s.data->logit_lambda() > 0) lo = 0, hi = 1;
  }
  save_samples(samples, out, lo, hi);
  write_file_atomic(out + ".toml", fmt::format("# how {} was made: scoregen sample with this resolved pipeline\n{}",
                                                std::filesystem::path(out).filename().string(), s.pipeline->to_toml()));
  fmt::print("sampler: {}\n", sampler->describe());
  fmt::print("samples: {} of shape [{}] -> {} (pipeline record: {}.toml)\n", num, fmt::join(shape, ", "), out, out);
  fmt::print("NFE: {} per batch ({} batch(es)), wall time {:.2f} s\n", model.nfe() / batches, batches, total_time.elapsed());
  return 0;
}

}  // namespace scoregen::cli
