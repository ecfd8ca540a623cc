// Evaluation of an image model against the test set, judged by a trained classifier with its own pipeline.
#include "engine/tasks/evaluation.hpp"

#include <cmath>
#include <filesystem>
#include <functional>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/record.hpp"
#include "engine/io/checkpoint.hpp"
#include "engine/io/files.hpp"
#include "engine/math/bits_per_dim.hpp"
#include "engine/math/dealt_batches.hpp"
#include "engine/math/metrics.hpp"
#include "engine/tasks/known_density_evaluation.hpp"
#include "engine/tasks/sampling.hpp"
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
  Pipeline p = r.classifier_pipeline.empty()
                   ? Pipeline::parse(checkpoint_pipeline(ckpt), ckpt + " (stored pipeline)", {}, *model.registry,
                                     PipelineOrigin::Stored)
                   : Pipeline::parse(read_file(r.classifier_pipeline), r.classifier_pipeline, {}, *model.registry);
  if (!p.has("data")) throw Error(fmt::format("{}: the evaluation classifier's pipeline has no [data] section", p.source()));
  if (p.options("data").has("split"))  // its test split, like the model's
    p.set("data", "split", held_out_split(p, r.test_split), "the evaluation classifier's held-out split");
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

// The report as a text file with its record (--out), on the root rank.
void write_report(Report& report, const EvalRequest& r, const Session& s, const std::vector<RecordInput>& inputs) {
  if (r.out.empty() || !s.group->root()) return;
  write_file_atomic(r.out, report.text());
  const std::string record = write_record(r.out, record_text(s, r.out, inputs));
  report.line(fmt::format("report: {} (record: {})", r.out, record));
  report.field("output", r.out).field("record", record);
}

// Without an evaluation classifier: a data set that knows its density (toy mixtures) is its own judge.
Report evaluate_toy(const EvalRequest& r) {
  Session session = open_session(r.session);
  if (!session.data || session.data->class_weights().empty())
    throw Error("an evaluation classifier is needed (--classifier-checkpoint FILE): without one, only data sets that "
                "know their density, such as [data] plugin = \"mixture\", can be judged");
  const std::string source = session.pipeline->source();
  if (!r.test_split.empty())
    throw Error(fmt::format("the test split: the {} data of {} has no splits (fresh draws)",
                            session.pipeline->plugin("data").name, source));
  const EvalSettings settings = settings_of<EvalSettings>(session.pipeline->options("eval"));
  const std::int64_t num = settings.num, batch = settings.batch_size, nll_num = settings.nll_num;
  AssemblyRequest ar = r.assembly;
  ar.command = "scoregen eval";
  ar.sampler = true;
  Assembly a = assemble(std::move(session), ar);
  Report report = evaluate_known_density(a, num, batch, nll_num);
  write_report(report, r, a.session, checkpoint_inputs(r.assembly));
  return report;
}

// The classifier's judgement of the samples: a Frechet distance in its features with the floor at this N, its
// accuracy on the test examples, the class distribution of the samples and, under --class, the guided fraction.
void report_classifier_metrics(Report& report, const EvalRequest& r, const Assembly& a, const Judge& judge,
                               const at::Tensor& samples, const EvalSettings& settings) {
  const std::int64_t batch = settings.batch_size;
  const Session& s = a.session;
  const std::int64_t num = samples.size(0);
  Dataset& test = *judge.session.data;
  const double clo = test.range().first, chi = test.range().second;  // not a structured binding: lambdas use them
  // features and logits of n inputs on the classifier's scale (input(begin, count)), dealt to the ranks
  auto judged = [&](std::int64_t n, const std::function<at::Tensor(std::int64_t, std::int64_t)>& input) {
    return rows_in_dealt_batches(*s.group, n, batch, [&](std::int64_t i, std::int64_t m) {
      const at::Tensor x = input(i, m).to(s.device);
      const at::Tensor t = at::full({x.size(0)}, judge.session.sde->likelihood_eps(), x.options());
      return std::vector<at::Tensor>{judge.classifier->features(x, t), judge.classifier->logits(x, t)};
    });
  };
  // model space -> pixels in [0, 1] -> the classifier's scale
  const std::vector<at::Tensor> sample_rows = judged(num, [&](std::int64_t i, std::int64_t m) {
    return clo + a.mapping.to_unit(samples.narrow(0, i, m)) * (chi - clo);
  });
  const at::Tensor &samples_f = sample_rows[0], &sample_logits = sample_rows[1];
  std::int64_t test_correct = 0, test_seen = 0;  // every test example the classifier judged, in both blocks
  auto test_features = [&](std::int64_t begin, std::int64_t end) {
    const std::vector<at::Tensor> rows =
        judged(end - begin, [&](std::int64_t i, std::int64_t m) { return test.get(begin + i, m).x; });
    test_correct += (rows[1].argmax(1) == test.get(begin, end - begin).y).sum().item<std::int64_t>();
    test_seen += end - begin;
    return rows[0];
  };
  at::Tensor test_f = test_features(0, std::min(num, test.size()));
  const double fd = frechet_distance(samples_f, test_f);
  // unbiased at any N, unlike the Frechet distance: the number to compare at a CPU's sample counts
  const SubsetMean kid = kernel_inception_distance(samples_f, test_f, settings.kid_subsets, settings.kid_subset_size,
                                                   s.generator(Stream::EvalKidSubsets, 1));
  // The same distance between two disjoint test blocks of this size: what a perfect sampler would score at this N.
  const bool has_floor = 2 * num <= test.size();
  const double fd_floor = has_floor ? frechet_distance(test_features(num, 2 * num), test_f) : 0.0;
  at::Tensor hist = at::bincount(sample_logits.argmax(1), {}, sample_logits.size(1)).to(at::kDouble);
  at::Tensor p = hist / hist.sum();
  const double entropy = -(p * at::log(p.clamp_min(1e-12))).sum().item<double>();
  const double accuracy = static_cast<double>(test_correct) / static_cast<double>(test_seen);

  std::vector<double> fractions(p.data_ptr<double>(), p.data_ptr<double>() + p.size(0));
  report.line(fmt::format("classifier: test accuracy at t = eps {:.4f} on {} examples", accuracy, test_seen))
      .line(fmt::format("Frechet distance (classifier features, {} dims; not the Inception FID): {:.4f}", samples_f.size(1), fd));
  if (has_floor)
    report.line(fmt::format("Frechet distance between two disjoint blocks of {} test examples (the floor at this N): {:.4f}",
                            num, fd_floor));
  report.line(fmt::format("kernel distance (KID's unbiased MMD^2 in classifier features): {:.6g} +- {:.3g} ({} subsets of {})",
                          kid.mean, kid.std, kid.subsets, kid.subset_size));
  report.line(fmt::format("class-distribution entropy of the samples: {:.4f} nats (uniform over {} classes: {:.4f})", entropy,
                          p.size(0), std::log(static_cast<double>(p.size(0)))))
      .line(fmt::format("class fractions of the samples: [{:.3f}]", fmt::join(fractions, ", ")));
  report.field("classifier_test_accuracy", accuracy).field("frechet_distance", fd)
      .field("class_entropy", entropy).field("class_fractions", fractions);
  if (has_floor) report.field("frechet_distance_floor", fd_floor);
  report.field("classifier_kid", kid.mean).field("classifier_kid_std", kid.std).field("classifier_kid_subsets", kid.subsets)
      .field("classifier_kid_subset_size", kid.subset_size);
  if (r.assembly.class_label) {
    const std::int64_t y = *r.assembly.class_label;
    report.line(fmt::format("guided towards class {} (scale {}): {:.3f} of the samples are classified as {}", y,
                            r.assembly.guidance_scale, p[y].item<double>(), y));
    report.field("class", y).field("guidance_scale", r.assembly.guidance_scale).field("guided_fraction", p[y].item<double>());
  }
}

}  // namespace


Report evaluate(const EvalRequest& r) {
  // the report is text: a picture's or an array's name would hold lines no reader of that type opens
  for (const char* binary : {".png", ".jpg", ".jpeg", ".npy", ".npz", ".pt", ".pth"})
    if (!r.out.empty() && extension(r.out) == binary)
      throw Error(fmt::format("--out {}: the report is text; name it .txt (or without an extension)", r.out));
  if (!r.out.empty() && std::filesystem::path(r.out).has_parent_path() &&
      !std::filesystem::is_directory(std::filesystem::path(r.out).parent_path()))
    throw Error(fmt::format("{}: the folder does not exist", r.out));
  std::vector<RecordInput> inputs = checkpoint_inputs(r.assembly);
  inputs.push_back({"classifier-checkpoint", r.classifier_checkpoint});
  inputs.push_back({"classifier-pipeline", r.classifier_pipeline});
  inputs.push_back({"inception", r.inception.inception});
  inputs.push_back({"fid-ref", r.inception.fid_ref});
  check_output_apart("--out", r.out, inputs, r.session.pipeline_path);
  if (r.classifier_checkpoint.empty() && r.inception.inception.empty()) return evaluate_toy(r);
  SessionRequest sr = r.session;
  sr.test_split = r.test_split;
  AssemblyRequest ar = r.assembly;
  ar.command = "scoregen eval";
  ar.sampler = true;
  const std::optional<std::int64_t> guided = ar.class_label;
  ar.class_label.reset();  // guidance comes from the evaluation classifier, below
  Session session = open_session(sr);
  if (!session.data || session.data->bits() != 8) throw Error("scoregen eval needs 8-bit image [data] (e.g. idx)");
  const EvalSettings settings = settings_of<EvalSettings>(session.pipeline->options("eval"));
  const std::int64_t num = settings.num, batch = settings.batch_size, nll_num = settings.nll_num;
  Assembly a = assemble(std::move(session), ar);
  const Session& s = a.session;
  std::optional<Judge> judge;
  if (!r.classifier_checkpoint.empty()) judge.emplace(load_judge(r, s));
  std::optional<InceptionEvaluation> inception;  // the network and --fid-ref checked before any sample is drawn
  if (!r.inception.inception.empty()) inception.emplace(r.inception, s, settings);
  torch::NoGradGuard no_grad;
  if (guided) {
    const std::int64_t y = *guided;
    if (y < 0 || y >= s.data->num_classes()) throw Error(fmt::format("--class must be in 0..{}", s.data->num_classes() - 1));
    require_same_noising(s, judge->session);
    a.model->set_guidance(judge->classifier, at::full({1}, y, at::TensorOptions().dtype(at::kLong).device(s.device)),
                          r.assembly.guidance_scale);
  }

  Drawn drawn = draw_samples(a, num, batch, Stream::EvalSamples);
  Report report;
  report.line(fmt::format("samples: {} with {} (NFE {} per batch of {})", num, a.sampler->describe(), drawn.nfe_per_batch, batch))
      .timing(fmt::format("sampling time: {:.1f} s", drawn.seconds));
  report.field("command", "eval").field("num", num);
  add_sampling_fields(report, a, drawn);
  if (judge) report_classifier_metrics(report, r, a, *judge, drawn.samples, settings);
  if (inception) inception->report(report, a, drawn.samples);
  if (nll_num > 0 && s.sde->is_discrete()) {
    report.line("bits/dim: - (the [sde] is a discrete chain: no continuous probability-flow ODE, so no exact likelihood)");
  } else if (nll_num > 0 && a.network->consistency_sigma_min() > 0) {
    report.line("bits/dim: - (a consistency function has no score, so no probability-flow ODE to integrate)");
  } else if (nll_num > 0) {
    if (s.data->logit_lambda() > 0) throw Error("eval: bits/dim of logit-transformed data is not supported (use --nll-num 0)");
    // one dequantization draw per example, offset 7 ([-1, 1]) or 8 ([0, 1]); all examples in one solve
    BitsPerDimOptions o;
    o.batch = nll_num, o.eight_bit = true, o.dequantize = 1, o.progress = false;
    o.ode.rtol = o.ode.atol = kOdeTolerance;  // the one default of every PF-ODE solve (docs/pipelines.md)
    a.model->reset_nfe();
    BitsPerDim b = bits_per_dim(a, s.data->get(0, nll_num).x, o, Stream::EvalTestBitsPerDim);
    const auto [mean, se] = BitsPerDim::mean_se(b.bpd);
    report.line(fmt::format("bits/dim: {:.4f} +- {:.4f} ({} dequantized test examples, Hutchinson, RK45 rtol {} atol {}; "
                            "NFE {})", mean, se, b.bpd.size(0), o.ode.rtol, o.ode.atol, b.nfe))
        .timing(fmt::format("likelihood time: {:.1f} s", b.seconds));
    report.field("bits_per_dim", mean).field("bits_per_dim_se", se).field("nll_nfe", b.nfe)
        .field("nll_rtol", o.ode.rtol).field("nll_atol", o.ode.atol);
  }
  write_report(report, r, s, inputs);
  return report;
}

}  // namespace scoregen::engine
