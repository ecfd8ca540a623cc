// Batches dealt to ranks, rows summed back.
#include "engine/math/dealt_batches.hpp"

#include <algorithm>

#include <ATen/ATen.h>

#include "scoregen/progress.hpp"

namespace scoregen::engine {

std::vector<at::Tensor> rows_in_dealt_batches(const ProcessGroup& group, std::int64_t n, std::int64_t batch,
                                              const std::function<std::vector<at::Tensor>(std::int64_t, std::int64_t)>& rows) {
  std::vector<std::vector<at::Tensor>> parts;  // [batch][output], undefined where another rank computes it
  std::vector<std::int64_t> widths;
  for (std::int64_t i = 0, b = 0; i < n; i += batch, ++b) {
    parts.emplace_back();
    if (!group.mine(b)) continue;
    throw_if_interrupted();  // a batch of features or scores may take seconds
    parts.back() = rows(i, std::min(batch, n - i));
    if (widths.empty())
      for (const at::Tensor& t : parts.back()) widths.push_back(t.size(1));
  }
  if (widths.empty())
    for (const at::Tensor& t : rows(0, 1)) widths.push_back(t.size(1));
  std::vector<at::Tensor> out;
  for (std::size_t k = 0; k < widths.size(); ++k) {
    std::vector<at::Tensor> column;
    for (std::int64_t i = 0, b = 0; i < n; i += batch, ++b) {
      const std::vector<at::Tensor>& p = parts[static_cast<std::size_t>(b)];
      column.push_back(p.empty() ? at::zeros({std::min(batch, n - i), widths[k]}) : p[k].to(at::kCPU, at::kFloat));
    }
    out.push_back(at::cat(column));
  }
  group.all_reduce_sum(out);
  return out;
}

}  // namespace scoregen::engine
