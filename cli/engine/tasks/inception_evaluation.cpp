// FID, KID and IS of an evaluation's samples.
#include "engine/tasks/inception_evaluation.hpp"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/math/metrics.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

InceptionEvaluation::InceptionEvaluation(const InceptionRequest& r, const Session& s, const EvalSettings& settings)
    : request_(r), settings_(settings) {
  if (settings.num < settings.is_splits)
    throw Error(fmt::format("--inception: the Inception score splits the samples into [eval] is_splits = {} parts; {} samples "
                            "are fewer", settings.is_splits, settings.num));
  if (!r.fid_ref.empty()) {
    given_ = load_fid_statistics(r.fid_ref);
    if (given_.mu.size(0) != InceptionNetwork::kFeatures)
      throw Error(fmt::format("--fid-ref {}: statistics of {} features, not the Inception network's {} pool features",
                              r.fid_ref, given_.mu.size(0), InceptionNetwork::kFeatures));
  }
  network_ = std::make_unique<InceptionNetwork>(r.inception, s.device, s.data->shape());
}

InceptionEvaluation::~InceptionEvaluation() = default;

void InceptionEvaluation::report(Report& report, const Assembly& a, const at::Tensor& samples) const {
  const Session& s = a.session;
  const InceptionRequest& r = request_;
  const FidStatistics& given = given_;
  const InceptionNetwork& net = *network_;
  const std::int64_t num = samples.size(0), batch = settings_.batch_size;
  const ProcessGroup& group = *s.group;
  const InceptionOutputs gen = inception_outputs(net, group, num, batch, true, [&](std::int64_t i, std::int64_t m) {
    return a.mapping.to_unit(samples.narrow(0, i, m));
  });
  Dataset& test = *s.data;
  auto test_features = [&](std::int64_t begin, std::int64_t n) {
    return inception_outputs(net, group, n, batch, false, [&](std::int64_t i, std::int64_t m) {
             return a.mapping.to_unit(test.get(begin + i, m).x);
           }).features;
  };
  const std::int64_t n_test = std::min(num, test.size());
  const at::Tensor test_f = test_features(0, n_test);
  const bool from_file = given.mu.defined();
  const FidStatistics reference = from_file ? given : statistics_of(test_f);
  const std::string against = from_file ? "the statistics of " + r.fid_ref : fmt::format("{} test examples", n_test);
  const std::string what = from_file ? "--fid-ref " + r.fid_ref : "FID";
  const double fid = frechet_distance(statistics_of(gen.features), reference, what);
  report.line(fmt::format("Inception FID: {:.4f} ({} samples against {})", fid, num, against));
  report.field("inception", r.inception).field("inception_sha256", net.sha256());
  report.field("fid", fid).field("fid_num", num).field("fid_reference", from_file ? r.fid_ref : "test");
  if (2 * num <= test.size()) {
    // FID is biased upwards at small N: what a perfect sampler scores at this N against the same reference
    const double floor = frechet_distance(statistics_of(test_features(num, num)), reference, what);
    report.line(fmt::format("Inception FID of {} other test examples against the same reference (the floor at this N): "
                            "{:.4f}", num, floor));
    report.field("fid_floor", floor);
  }
  const SubsetMean kid = kernel_inception_distance(gen.features, test_f, settings_.kid_subsets, settings_.kid_subset_size,
                                                   s.generator(Stream::EvalKidSubsets));
  report.line(fmt::format("KID: {:.6g} +- {:.3g} ({} subsets of {} samples and {} test examples)", kid.mean, kid.std,
                          kid.subsets, kid.subset_size, kid.subset_size));
  report.field("kid", kid.mean).field("kid_std", kid.std).field("kid_subsets", kid.subsets)
      .field("kid_subset_size", kid.subset_size);
  const SubsetMean is = inception_score(gen.probabilities, settings_.is_splits);
  report.line(fmt::format("Inception score: {:.4f} +- {:.4f} ({} splits of {} samples)", is.mean, is.std, is.subsets,
                          is.subset_size));
  report.field("inception_score", is.mean).field("inception_score_std", is.std)
      .field("inception_score_splits", is.subsets).field("inception_score_num", num);
}

}  // namespace scoregen::engine
