// `scoregen eval`: sample N images and compare them with the test set in the feature space of a trained
// time-dependent classifier (a Frechet distance, NOT the Inception FID), report the entropy of the
// classifier's class distribution of the samples, and bits/dim on the test set through the PF-ODE.
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.hpp"
#include "scoregen/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/likelihood.hpp"
#include "scoregen/metrics.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sampler.hpp"

namespace scoregen::cli {

int run_eval(int argc, char** argv) {
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
  if (!args.count("classifier-checkpoint")) throw Error("scoregen eval: --classifier-checkpoint FILE is required");
  const std::int64_t num = args["num"].as<std::int64_t>(), batch = args["batch-size"].as<std::int64_t>(),
                     nll_num = args["nll-num"].as<std::int64_t>();
  if (num < 2 || batch < 1 || nll_num < 0) throw Error("--num must be >= 2, --batch-size >= 1, --nll-num >= 0");
  std::vector<std::string> extra{fmt::format("data.split=\"{}\"", args["test-split"].as<std::string>())};
  if (args.count("sampler")) extra.push_back(fmt::format("sampler=\"{}\"", args["sampler"].as<std::string>()));
  Session s = open_session(args, extra);
  if (!s.data || s.data->bits() != 8) throw Error("scoregen eval needs 8-bit image [data] (e.g. idx)");
  const std::string ckpt = args.count("checkpoint") ? args["checkpoint"].as<std::string>() : std::string();
  auto network = load_network(s, ckpt, "scoregen eval");
  auto sampler = s.pipeline->create_as<Sampler>("sampler", s.context(), "scoregen eval");
  ScoreModel model(network, s.sde);
  model.set_device(s.device);
  std::vector<std::int64_t> shape = s.data->shape();

  // The evaluation classifier with its own pipeline: its [sde] sets the time t = eps of its features, its
  // [data] (on the test split) is the reference set and its scale, so every model is compared with the same
  // reference whatever its own SDE or data scale.
  const std::string cls_ckpt = args["classifier-checkpoint"].as<std::string>();
  const std::string split = fmt::format("data.split=\"{}\"", args["test-split"].as<std::string>());
  auto load_cls_pipe = [&](const std::vector<std::string>& over) {
    return args.count("classifier") ? Pipeline::load(args["classifier"].as<std::string>(), over, *s.registry)
                                    : Pipeline::parse(checkpoint_pipeline(cls_ckpt), cls_ckpt + " (stored pipeline)", over, *s.registry);
  };
  Pipeline cls_pipe = load_cls_pipe({});
  if (!cls_pipe.has("data")) throw Error(fmt::format("{}: the evaluation classifier's pipeline has no [data] section", cls_pipe.source()));
  if (cls_pipe.options("data").has("split")) cls_pipe = load_cls_pipe({split});
  Session cs;
  cs.device = s.device;
  cs.data = cls_pipe.create_as<Dataset>("data", cs.context());
  cs.sde = cls_pipe.create_as<Sde>("sde", cs.context(), "scoregen eval --classifier");
  if (cs.data->shape() != shape || cs.data->num_classes() < 2)
    throw Error(fmt::format("{}: the evaluation classifier's data (shape [{}], {} classes) does not match the model's [{}]",
                            cls_pipe.source(), fmt::join(cs.data->shape(), ", "), cs.data->num_classes(), fmt::join(shape, ", ")));
  if (cs.data->logit_lambda() > 0) throw Error(fmt::format("{}: an evaluation classifier on logit-transformed data is not supported", cls_pipe.source()));
  auto cls = cls_pipe.create_as<Guidance>("guidance", cs.context(), "scoregen eval --classifier");
  torch::nn::Module* m = cls->module();
  if (!m) throw Error("the evaluation classifier must be a trained classifier plugin");
  CheckpointState cst = load_checkpoint(cls_ckpt, m, nullptr);
  apply_ema(*m, cst.ema);
  m->to(s.device);
  m->eval();
  torch::NoGradGuard no_grad;
  // model space -> pixels in [0, 1] -> the classifier's scale
  const auto [lo, hi] = s.data->range();
  const auto [clo, chi] = cs.data->range();
  auto to_classifier = [&](const at::Tensor& x) {
    at::Tensor u = s.data->logit_lambda() > 0 ? s.data->to_data(x) : (x.clamp(lo, hi) - lo) / (hi - lo);
    return clo + u.clamp(0, 1) * (chi - clo);
  };
  auto features = [&](const at::Tensor& x) {
    at::Tensor t = at::full({x.size(0)}, cs.sde->likelihood_eps(), x.options());
    return std::pair<at::Tensor, at::Tensor>{cls->features(x, t).cpu(), cls->logits(x, t).cpu()};
  };

  if (args.count("class")) {
    const std::int64_t y = args["class"].as<std::int64_t>();
    if (y < 0 || y >= s.data->num_classes()) throw Error(fmt::format("--class must be in 0..{}", s.data->num_classes() - 1));
    // Guidance adds grad log p_t(y | x) at the model's t: the classifier must know the same noised x_t.
    at::Tensor probe = at::linspace(s.sde->train_eps(), s.sde->T(), 11, at::kDouble);
    if (lo != clo || hi != chi || s.sde->is_discrete() != cs.sde->is_discrete() ||
        !at::allclose(s.sde->mean_coeff(probe), cs.sde->mean_coeff(probe)) ||
        !at::allclose(s.sde->marginal_std(probe), cs.sde->marginal_std(probe)))
      throw Error(fmt::format("--class: the evaluation classifier ({}) was trained on another SDE or data scale than the "
                              "model; guidance needs one trained on the model's own noised data", cls_pipe.source()));
    model.set_guidance(cls, at::full({batch}, y, at::TensorOptions().dtype(at::kLong).device(s.device)),
                       args["guidance-scale"].as<double>());
  }
  Progress timer("eval", 0, false);
  at::Generator gen = s.generator(40);
  std::vector<at::Tensor> sf, sl;
  for (std::int64_t i = 0; i < num; i += batch) {
    std::vector<std::int64_t> bshape = shape;
    bshape.insert(bshape.begin(), std::min(batch, num - i));
    Progress progress(fmt::format("sample {}/{}", i / batch + 1, (num + batch - 1) / batch), sampler->steps(*s.sde), !s.quiet);
    at::Tensor x = sampler->sample(model, bshape, gen, progress, SampleHooks{});
    progress.finish();
    if (!at::isfinite(x).all().item<bool>())
      throw Error(fmt::format("the sampler produced NaN or infinite values ({}); no metrics", sampler->describe()));
    auto [f, l] = features(to_classifier(x));
    sf.push_back(f), sl.push_back(l);
  }
  const double sample_time = timer.elapsed();
  const std::int64_t sample_nfe = model.nfe();
  at::Tensor test_correct = at::zeros({}, at::kLong);
  std::int64_t test_seen = 0;  // every test example the classifier judged, in both blocks
  auto test_features = [&](std::int64_t begin, std::int64_t end) {
    std::vector<at::Tensor> tf;
    for (std::int64_t i = begin; i < end; i += batch) {
      Batch b = cs.data->get(i, std::min(batch, end - i));
      auto [f, l] = features(b.x.to(s.device));
      tf.push_back(f);
      test_correct += (l.argmax(1) == b.y).sum();
      test_seen += b.x.size(0);
    }
    return at::cat(tf);
  };
  at::Tensor samples_f = at::cat(sf), test_f = test_features(0, std::min(num, cs.data->size()));
  const double fd = frechet_distance(samples_f, test_f);
  // The same distance between two disjoint test blocks of this size: what a perfect sampler would score at this N.
  const bool has_floor = 2 * num <= cs.data->size();
  const double fd_floor = has_floor ? frechet_distance(test_features(num, 2 * num), test_f) : 0.0;
  at::Tensor hist = at::bincount(at::cat(sl).argmax(1), {}, at::cat(sl).size(1)).to(at::kDouble);
  at::Tensor p = hist / hist.sum();
  const double entropy = -(p * at::log(p.clamp_min(1e-12))).sum().item<double>();
  const double accuracy = test_correct.item<double>() / static_cast<double>(test_seen);

  fmt::print("samples: {} with {} (NFE {} per batch of {}, {:.1f} s)\n", num, sampler->describe(),
             sample_nfe / ((num + batch - 1) / batch), batch, sample_time);
  fmt::print("classifier: test accuracy at t = eps {:.4f} on {} examples\n", accuracy, test_seen);
  fmt::print("Frechet distance (classifier features, {} dims; not the Inception FID): {:.4f}\n", samples_f.size(1), fd);
  if (has_floor)
    fmt::print("Frechet distance between two disjoint blocks of {} test examples (the floor at this N): {:.4f}\n", num, fd_floor);
  fmt::print("class-distribution entropy of the samples: {:.4f} nats (uniform over {} classes: {:.4f})\n", entropy,
             p.size(0), std::log(static_cast<double>(p.size(0))));
  fmt::print("class fractions of the samples: [{:.3f}]\n", fmt::join(std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.size(0)), ", "));
  if (args.count("class"))
    fmt::print("guided towards class {} (scale {}): {:.3f} of the samples are classified as {}\n", args["class"].as<std::int64_t>(),
               args["guidance-scale"].as<double>(), p[args["class"].as<std::int64_t>()].item<double>(), args["class"].as<std::int64_t>());
  if (nll_num > 0 && s.sde->is_discrete()) {
    fmt::print("bits/dim: - (the [sde] is a discrete chain: no continuous probability-flow ODE, so no exact likelihood)\n");
  } else if (nll_num > 0) {
    // bits/dim: one dequantization draw per example, offset 7 ([-1, 1]) or 8 ([0, 1])
    if (s.data->logit_lambda() > 0) throw Error("eval: bits/dim of logit-transformed data is not supported (use --nll-num 0)");
    const bool symmetric = lo < 0;
    at::Tensor x = dequantize_8bit(s.data->get(0, nll_num).x, symmetric, gen).to(s.device);
    LikelihoodOptions lo_opts;
    Progress t2("nll", 0, false);
    model.reset_nfe();
    at::Tensor logp = log_likelihood(model, x, lo_opts, gen).logp.cpu();
    const double dim = static_cast<double>(x[0].numel());
    at::Tensor bpd = -logp / (dim * std::log(2.0)) + bits_per_dim_offset(symmetric);
    fmt::print("bits/dim: {:.4f} +- {:.4f} ({} dequantized test examples, Hutchinson, RK45 1e-5; NFE {}, {:.1f} s)\n",
               bpd.mean().item<double>(), bpd.std().item<double>() / std::sqrt(static_cast<double>(x.size(0))), x.size(0),
               model.nfe(), t2.elapsed());
  }
  return 0;
}

}  // namespace scoregen::cli
