// Rows computed batch by batch with the batches dealt to the ranks of a process group (torchrun) and summed back.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "engine/host/process_group.hpp"

namespace scoregen::engine {

// rows(begin, count) gives one [count, w_k] float32 CPU tensor per output k for rows begin .. begin + count of n;
// batch b (rows b x batch ..) is computed by rank b mod world, and every rank ends with all n rows of each output,
// the same as one process computes them. A rank that computes no batch learns the widths from rows(0, 1).
std::vector<at::Tensor> rows_in_dealt_batches(const ProcessGroup& group, std::int64_t n, std::int64_t batch,
                                              const std::function<std::vector<at::Tensor>(std::int64_t, std::int64_t)>& rows);

}  // namespace scoregen::engine
