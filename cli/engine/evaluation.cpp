// Evaluation of an image model against the test set, judged by a trained classifier with its own pipeline.
#include "engine/evaluation.hpp"

#include <cmath>
#include <functional>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/bits_per_dim.hpp"
#include "engine/checkpoint.hpp"
#include "engine/files.hpp"
#include "engine/metrics.hpp"
#include "engine/sampling.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// The evaluation classifier with its own pipeline: its [sde] sets the time t = eps of its features, its [data]
// (on the test split) is the reference set and its scale, so every model is compared with the same reference
// whatever its own SDE or data scale.
struct Judge {
  Session session;
  std::shared_ptr<Guidance> classifier;
};

Judge load_judge(const EvalRequest& r, const Session& model) {
  const std::string& ckpt = r.classifier_checkpoint;
  auto parse = [&](const std::vector<std::string>& over) {
    return r.classifier_pipeline.empty()
               ? Pipeline::parse(checkpoint_pipeline(ckpt), ckpt + " (stored pipeline)", over, *model.registry,
                                 PipelineOrigin::Stored)
               : Pipeline::parse(read_file(r.classifier_pipeline), r.classifier_pipeline, over, *model.registry);
  };
  Pipeline p = parse({});
  if (!p.has("data")) throw Error(fmt::format("{}: the evaluation classifier's pipeline has no [data] section", p.source()));
  if (p.options("data").has("split")) p = parse({fmt::format("data.split=\"{}\"", r.test_split)});
  Judge j{open_session(model.registry, std::move(p)), nullptr};
  j.session.device = model.device;
  const Dataset& data = *j.session.data;
  const std::vector<std::int64_t> shape = model.data->shape();
  if (data.shape() != shape || data.num_classes() < 2)
    throw Error(fmt::format("{}: the evaluation classifier's data (shape [{}], {} classes) does not match the model's [{}]",
                            j.session.pipeline->source(), fmt::join(data.shape(), ", "), data.num_classes(),
                            fmt::join(shape, ", ")));
  if (data.logit_lambda() > 0)
    throw Error(fmt::format("{}: an evaluation classifier on logit-transformed data is not supported",
                            j.session.pipeline->source()));
  j.classifier = load_guidance(j.session, ckpt, "scoregen eval --classifier");
  if (!j.classifier->module()) throw Error("the evaluation classifier must be a trained classifier plugin");
  return j;
}

// Guidance adds grad log p_t(y | x) at the model's t: the classifier must know the same noised x_t.
void require_same_noising(const Session& model, const Session& judge) {
  const Sde &a = *model.sde, &b = *judge.sde;
  at::Tensor probe = at::linspace(a.train_eps(), a.T(), 11, at::kDouble);
  if (model.data->range() != judge.data->range() || a.is_discrete() != b.is_discrete() ||
      !at::allclose(a.mean_coeff(probe), b.mean_coeff(probe)) || !at::allclose(a.marginal_std(probe), b.marginal_std(probe)))
    throw Error(fmt::format("--class: the evaluation classifier ({}) was trained on another SDE or data scale than the "
                            "model; guidance needs one trained on the model's own noised data",
                            judge.pipeline->source()));
}

}  // namespace

int evaluate(const EvalRequest& r) {
  if (r.classifier_checkpoint.empty()) throw Error("scoregen eval: --classifier-checkpoint FILE is required");
  if (r.num < 2 || r.batch < 1 || r.nll_num < 0) throw Error("--num must be >= 2, --batch-size >= 1, --nll-num >= 0");
  SessionRequest sr = r.session;
  sr.overrides.insert(sr.overrides.begin(), fmt::format("data.split=\"{}\"", r.test_split));
  AssemblyRequest ar = r.assembly;
  ar.command = "scoregen eval";
  ar.sampler = true;
  const std::optional<std::int64_t> guided = ar.class_label;
  ar.class_label.reset();  // guidance comes from the evaluation classifier, below
  Session session = open_session(sr);
  if (!session.data || session.data->bits() != 8) throw Error("scoregen eval needs 8-bit image [data] (e.g. idx)");
  Assembly a = assemble(std::move(session), ar);
  const Session& s = a.session;
  Judge judge = load_judge(r, s);
  const Dataset& test = *judge.session.data;
  torch::NoGradGuard no_grad;
  const auto [clo, chi] = test.range();
  // features and logits of inputs on the classifier's scale
  auto features = [&](const at::Tensor& x) {
    at::Tensor t = at::full({x.size(0)}, judge.session.sde->likelihood_eps(), x.options());
    return std::pair<at::Tensor, at::Tensor>{judge.classifier->features(x, t).cpu(), judge.classifier->logits(x, t).cpu()};
  };
  if (guided) {
    const std::int64_t y = *guided;
    if (y < 0 || y >= s.data->num_classes()) throw Error(fmt::format("--class must be in 0..{}", s.data->num_classes() - 1));
    require_same_noising(s, judge.session);
    a.model->set_guidance(judge.classifier, at::full({1}, y, at::TensorOptions().dtype(at::kLong).device(s.device)),
                          r.assembly.guidance_scale);
  }

  Drawn drawn = draw_samples(a, r.num, r.batch, 40);
  const ProcessGroup& group = *s.group;
  // Features and logits of n inputs in batches (input(begin, count) on the classifier's scale), dealt to the ranks.
  auto judged = [&](std::int64_t n, const std::function<at::Tensor(std::int64_t, std::int64_t)>& input) {
    std::vector<at::Tensor> fs, ls;
    for (std::int64_t i = 0, b = 0; i < n; i += r.batch, ++b) {
      const std::int64_t m = std::min(r.batch, n - i);
      if (group.mine(b)) {
        auto [f, l] = features(input(i, m).to(s.device));
        fs.push_back(f.to(at::kFloat)), ls.push_back(l.to(at::kFloat));
      } else {
        fs.push_back(at::Tensor()), ls.push_back(at::Tensor());
      }
    }
    // every rank's shapes: from the first batch it judged, or the classifier's on one example
    auto shaped = [&](std::vector<at::Tensor>& parts, std::int64_t width) {
      for (std::int64_t i = 0, b = 0; i < n; i += r.batch, ++b)
        if (!parts[static_cast<std::size_t>(b)].defined()) parts[static_cast<std::size_t>(b)] = at::zeros({std::min(r.batch, n - i), width});
      return at::cat(parts);
    };
    auto [f1, l1] = features(input(0, 1).to(s.device));
    std::vector<at::Tensor> sums{shaped(fs, f1.size(1)), shaped(ls, l1.size(1))};
    group.all_reduce_sum(sums);
    return std::pair<at::Tensor, at::Tensor>{sums[0], sums[1]};
  };
  // model space -> pixels in [0, 1] -> the classifier's scale
  auto [samples_f, sample_logits] = judged(r.num, [&](std::int64_t i, std::int64_t m) {
    return clo + a.mapping.to_unit(drawn.samples.narrow(0, i, m)) * (chi - clo);
  });
  std::int64_t test_correct = 0, test_seen = 0;  // every test example the classifier judged, in both blocks
  auto test_features = [&](std::int64_t begin, std::int64_t end) {
    auto [f, l] = judged(end - begin, [&](std::int64_t i, std::int64_t m) { return judge.session.data->get(begin + i, m).x; });
    test_correct += (l.argmax(1) == judge.session.data->get(begin, end - begin).y).sum().item<std::int64_t>();
    test_seen += end - begin;
    return f;
  };
  at::Tensor test_f = test_features(0, std::min(r.num, test.size()));
  const double fd = frechet_distance(samples_f, test_f);
  // The same distance between two disjoint test blocks of this size: what a perfect sampler would score at this N.
  const bool has_floor = 2 * r.num <= test.size();
  const double fd_floor = has_floor ? frechet_distance(test_features(r.num, 2 * r.num), test_f) : 0.0;
  at::Tensor hist = at::bincount(sample_logits.argmax(1), {}, sample_logits.size(1)).to(at::kDouble);
  at::Tensor p = hist / hist.sum();
  const double entropy = -(p * at::log(p.clamp_min(1e-12))).sum().item<double>();
  const double accuracy = static_cast<double>(test_correct) / static_cast<double>(test_seen);

  fmt::print("samples: {} with {} (NFE {} per batch of {}, {:.1f} s)\n", r.num, a.sampler->describe(), drawn.nfe_per_batch,
             r.batch, drawn.seconds);
  fmt::print("classifier: test accuracy at t = eps {:.4f} on {} examples\n", accuracy, test_seen);
  fmt::print("Frechet distance (classifier features, {} dims; not the Inception FID): {:.4f}\n", samples_f.size(1), fd);
  if (has_floor)
    fmt::print("Frechet distance between two disjoint blocks of {} test examples (the floor at this N): {:.4f}\n", r.num,
               fd_floor);
  fmt::print("class-distribution entropy of the samples: {:.4f} nats (uniform over {} classes: {:.4f})\n", entropy,
             p.size(0), std::log(static_cast<double>(p.size(0))));
  fmt::print("class fractions of the samples: [{:.3f}]\n",
             fmt::join(std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.size(0)), ", "));
  if (guided)
    fmt::print("guided towards class {} (scale {}): {:.3f} of the samples are classified as {}\n", *guided,
               r.assembly.guidance_scale, p[*guided].item<double>(), *guided);
  if (r.nll_num > 0 && s.sde->is_discrete()) {
    fmt::print("bits/dim: - (the [sde] is a discrete chain: no continuous probability-flow ODE, so no exact likelihood)\n");
  } else if (r.nll_num > 0) {
    if (s.data->logit_lambda() > 0) throw Error("eval: bits/dim of logit-transformed data is not supported (use --nll-num 0)");
    // one dequantization draw per example, offset 7 ([-1, 1]) or 8 ([0, 1]); all examples in one solve
    BitsPerDimOptions o;
    o.batch = r.nll_num, o.eight_bit = true, o.dequantize = 1, o.progress = false;
    a.model->reset_nfe();
    BitsPerDim b = bits_per_dim(a, s.data->get(0, r.nll_num).x, o, 41);
    const auto [mean, se] = BitsPerDim::mean_se(b.bpd);
    fmt::print("bits/dim: {:.4f} +- {:.4f} ({} dequantized test examples, Hutchinson, RK45 1e-5; NFE {}, {:.1f} s)\n", mean,
               se, b.bpd.size(0), b.nfe, b.seconds);
  }
  return 0;
}

}  // namespace scoregen::engine
