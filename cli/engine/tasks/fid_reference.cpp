// Inception statistics of a data set, as an .npz with its record.
#include "engine/tasks/fid_reference.hpp"

#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/host/assemble.hpp"
#include "engine/host/record.hpp"
#include "engine/io/files.hpp"
#include "engine/math/fid_statistics.hpp"
#include "engine/math/inception_network.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

Report write_fid_reference(const FidReferenceRequest& r) {
  if (extension(r.out) != ".npz")
    throw Error(fmt::format("--out {}: Frechet statistics are written as an .npz (mu and sigma, as numpy.savez)", r.out));
  if (std::filesystem::path(r.out).has_parent_path() && !std::filesystem::is_directory(std::filesystem::path(r.out).parent_path()))
    throw Error(fmt::format("{}: the folder does not exist", r.out));
  const std::vector<RecordInput> inputs{{"inception", r.inception}};
  check_output_apart("--out", r.out, inputs, r.session.pipeline_path);
  Session s = open_session(r.session);
  if (!s.data || s.data->bits() != 8)
    throw Error(fmt::format("{}: fid-ref summarizes 8-bit images; its [data] is not an image data set", s.pipeline->source()));
  const std::int64_t n = r.num == 0 ? s.data->size() : r.num;
  if (n > s.data->size())
    throw Error(fmt::format("--num {}: the data set holds {} examples", r.num, s.data->size()));
  if (n < 2) throw Error("--num: Frechet statistics need 2 or more examples");
  const InceptionNetwork net(r.inception, s.device, s.data->shape());
  torch::NoGradGuard no_grad;
  const DataMapping mapping{s.data};
  const InceptionOutputs out = inception_outputs(net, *s.group, n, r.batch, false, [&](std::int64_t i, std::int64_t m) {
    return mapping.to_unit(s.data->get(i, m).x);
  });
  const FidStatistics stats = statistics_of(out.features);
  const std::string split = s.pipeline->options("data").has("split") ? s.pipeline->options("data").string("split") : "";
  Report report;
  report.line(fmt::format("Inception statistics of {} examples of {}{}", n, s.pipeline->plugin("data").name,
                          split.empty() ? "" : " (split " + split + ")"));
  report.field("command", "fid-ref").field("num", n).field("inception", r.inception)
      .field("inception_sha256", net.sha256());
  if (s.group->root()) {
    save_fid_statistics(stats, r.out);
    const std::string record = write_record(r.out, record_text(s, r.out, inputs));
    report.line(fmt::format("statistics: {} (mu [{}], sigma [{} x {}]; record: {})", r.out, stats.mu.size(0),
                            stats.mu.size(0), stats.mu.size(0), record));
    report.field("output", r.out).field("record", record);
  }
  return report;
}

}  // namespace scoregen::engine
