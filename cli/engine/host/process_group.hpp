// Data-parallel runs on PyTorch's c10d (docs/scaling.md): under torchrun (a group of one too), or when the environment
// says WORLD_SIZE > 1 with RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT, the process joins a group through a
// c10d::TCPStore, with ProcessGroupGloo on the CPU or ProcessGroupNCCL on CUDA. Otherwise no store, no socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace scoregen::engine {

class ProcessGroup {
 public:
  // A group of one.
  ProcessGroup();
  ~ProcessGroup();
  ProcessGroup(ProcessGroup&&) noexcept;
  ProcessGroup& operator=(ProcessGroup&&) noexcept;

  // Joins the group the environment describes: torchrun's (also a group of one), or WORLD_SIZE > 1 with RANK and
  // MASTER_ADDR/PORT; none otherwise. `cuda`: NCCL, when this LibTorch has it. A peer that does not arrive within
  // `rendezvous` is an error; so is a collective that does not finish within `timeout`. Ctrl-C or SIGTERM stops the
  // wait for peers within a second, and c10d's own log lines are kept off the terminal while the group forms.
  static ProcessGroup from_environment(bool cuda, std::chrono::seconds timeout, std::chrono::seconds rendezvous);
  // True when the environment describes no group: WORLD_SIZE unset or 1, and no torchrun launch (which forms a group
  // even of one). Such a process waits for no peer.
  static bool alone();

  // Whether this build compiled the NCCL path (a CUDA LibTorch with NCCL defines USE_C10D_NCCL for its users).
  static bool nccl_compiled();

  int world() const { return world_; }
  int rank() const { return rank_; }
  int local_rank() const { return local_rank_; }
  bool distributed() const { return impl_ != nullptr; }  // a group was joined (torchrun), even of one
  bool root() const { return rank_ == 0; }
  std::string describe() const;  // "world size 2, rank 0 (gloo over 127.0.0.1:29500)"

  // Sums the tensors over the ranks in place, packed into buffers of a few MB (not one call per tensor).
  void all_reduce_sum(std::vector<at::Tensor>& tensors) const;
  void all_reduce_sum(at::Tensor& tensor) const;
  void barrier() const;

  // This rank's share [begin, end) of n items dealt in contiguous blocks (every rank's differs by at most one).
  std::pair<std::int64_t, std::int64_t> share(std::int64_t n) const;
  // Whether item i (of a round-robin deal) is this rank's.
  bool mine(std::int64_t i) const { return i % world_ == rank_; }

 private:
  struct Impl;
  [[noreturn]] void lost(const std::string& what) const;
  std::unique_ptr<Impl> impl_;
  int world_ = 1, rank_ = 0, local_rank_ = 0;
};

}  // namespace scoregen::engine
