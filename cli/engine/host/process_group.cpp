// Joining a c10d process group under torchrun, bucketed all-reduce, and a lost peer named in one line.
#include "engine/host/process_group.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <thread>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "engine/io/files.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/torch_compat.hpp"

namespace scoregen::engine {

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<torch_compat::CollectiveGroup> group;
  std::string backend, address;
  std::chrono::seconds timeout;
  // Where the collectives' buffers live: NCCL reduces CUDA tensors only (cuda:LOCAL_RANK), Gloo CPU ones.
  at::Device buffers = at::kCPU;
  ~Impl() {
#if defined(USE_C10D_NCCL) && SCOREGEN_C10D_NCCL_SHUTDOWN
    // LibTorch 2.x warns at exit about a NCCL group that was not shut down (destroy_process_group in Python)
    if (auto* nccl = dynamic_cast<c10d::ProcessGroupNCCL*>(group.get())) nccl->shutdown();
#endif
  }
};

ProcessGroup::ProcessGroup() = default;
ProcessGroup::~ProcessGroup() = default;
ProcessGroup::ProcessGroup(ProcessGroup&&) noexcept = default;
ProcessGroup& ProcessGroup::operator=(ProcessGroup&&) noexcept = default;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0) throw Error(fmt::format("the environment variable {}={} is not a non-negative integer", name, v));
  return static_cast<int>(n);
}

std::string env_text(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) throw Error(fmt::format("WORLD_SIZE > 1 but {} is not set (launch with torchrun, or set RANK, "
                                         "LOCAL_RANK, MASTER_ADDR and MASTER_PORT)", name));
  return v;
}

// torchrun's agent hosts the store (PyTorch 2.4+, pytorch PR #128096; TORCHELASTIC_USE_AGENT_STORE=True): every
// rank connects as a client, and each restart attempt keeps its keys under /worker/attempt_N, as PyTorch's own
// _create_c10d_store does, so a restarted group never reads the keys of the attempt before it.
bool agent_hosts_store() {
  const char* v = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  return v && std::string(v) == "True";
}

std::string first_line(const std::exception& e) {
  std::string msg = e.what();
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) msg = c->what_without_backtrace();
  return msg.substr(0, msg.find('\n'));
}

}  // namespace

bool ProcessGroup::alone() {
  // torchrun --nproc_per_node 1 forms a group of one, as PyTorch's init_process_group does (its collectives then run
  // through Gloo or NCCL like any other); without a launcher, one process opens no socket.
  return env_int("WORLD_SIZE", 1) == 1 && std::getenv("TORCHELASTIC_RUN_ID") == nullptr;
}

namespace {

// Runs `form` (which blocks in c10d's connect loop, deaf to signals) beside a watcher: a Ctrl-C or SIGTERM ends the
// process within 0.1 s with one line (exit 128 + the signal). c10d's glog and c10 log lines go to /dev/null
// meanwhile; its failures still arrive as exceptions, which the caller words.
void form_watched(const std::function<void()>& form, const std::string& address) {
  SilencedStderr quiet;
  std::atomic<bool> done{false};
  std::exception_ptr failure;
  std::thread joining([&] {
    try {
      form();
    } catch (...) {
      failure = std::current_exception();
    }
    done = true;
  });
  while (!done) {
    if (interrupt_requested()) {
      quiet.restore();
      fmt::print(stderr, "\nscoregen: stopped while waiting for the group at {} to form\n", address);
      std::fflush(stderr);
      // The joining thread cannot be cancelled, so the process ends here: through the host's SIGALRM watchdog, which
      // exits with 128 + the stop signal as every stopped command does (default action where no host handles it).
      ::raise(SIGALRM);
      std::_Exit(130);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  joining.join();
  quiet.restore();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

ProcessGroup ProcessGroup::from_environment(bool cuda, std::chrono::seconds timeout, std::chrono::seconds rendezvous) {
  ProcessGroup pg;
  pg.world_ = env_int("WORLD_SIZE", 1);
  if (pg.world_ < 1) throw Error("the environment variable WORLD_SIZE=0 is not a number of processes (1 or more)");
  if (alone()) {
    if (const char* rank = std::getenv("RANK"); rank && *rank && std::string(rank) != "0")
      throw Error(fmt::format("RANK={} with WORLD_SIZE 1: the one process is rank 0", rank));
    return pg;
  }
  pg.rank_ = env_int("RANK", -1);
  if (pg.rank_ < 0 || pg.rank_ >= pg.world_)
    throw Error(fmt::format("RANK must be set to 0..{} when WORLD_SIZE is {}", pg.world_ - 1, pg.world_));
  pg.local_rank_ = env_int("LOCAL_RANK", 0);
  auto impl = std::make_unique<Impl>();
  const std::string host = env_text("MASTER_ADDR");
  const int port = env_int("MASTER_PORT", -1);
  if (port <= 0 || port > 65535) throw Error("MASTER_PORT must be a port number (1..65535)");
  impl->address = fmt::format("{}:{}", host, port);
  impl->timeout = timeout;
  Impl& g = *impl;
  auto form = [&] {
    const bool agent_store = agent_hosts_store();
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(port);
    o.isServer = !agent_store && pg.rank_ == 0;
    o.numWorkers = pg.world_;
    o.timeout = rendezvous;  // the peers' arrival; the collectives get `timeout`
    o.waitWorkers = true;
    g.store = c10::make_intrusive<c10d::TCPStore>(host, o);
    if (agent_store)
      g.store = c10::make_intrusive<c10d::PrefixStore>(
          fmt::format("/worker/attempt_{}", env_int("TORCHELASTIC_RESTART_COUNT", 0)), g.store);
    if (cuda) {
#ifdef USE_C10D_NCCL
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      g.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(g.store, pg.rank_, pg.world_, opts);
      g.backend = "nccl";
      g.buffers = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(pg.local_rank_));
#else
      throw Error("--device cuda with WORLD_SIZE > 1 needs a LibTorch built with NCCL; this one has only Gloo");
#endif
    } else {
      auto opts = c10d::ProcessGroupGloo::Options::create();
      opts->timeout = timeout;
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      g.group = c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, pg.rank_, pg.world_, opts);
      g.backend = "gloo";
    }
    g.store->setTimeout(timeout);  // formed: later waits on the store are as patient as the collectives
  };
  try {
    form_watched(form, impl->address);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("rank {} of {}: the group at {} did not form within {} s (--dist-timeout raises it): {}",
                            pg.rank_, pg.world_, impl->address, rendezvous.count(), first_line(e)));
  }
  pg.impl_ = std::move(impl);
  return pg;
}

bool ProcessGroup::nccl_compiled() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

std::string ProcessGroup::describe() const {
  if (!distributed()) return "world size 1";
  return fmt::format("world size {}, rank {} ({} over {})", world_, rank_, impl_->backend, impl_->address);
}

void ProcessGroup::lost(const std::string& what) const {
  // Which peer is gone: every rank still here says so in the store; whoever has not after a moment is lost. If the
  // store itself is gone, the rank that hosted it (0) is.
  std::vector<int> missing;
  try {
    const std::string mark = fmt::format("scoregen/alive-after-failure/{}", rank_);
    impl_->store->set(mark, std::vector<uint8_t>{1});
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (int r = 0; r < world_; ++r)
      if (r != rank_ && !impl_->store->check({fmt::format("scoregen/alive-after-failure/{}", r)})) missing.push_back(r);
  } catch (const std::exception&) {
    missing = {0};
  }
  const std::string who = missing.empty() ? std::string("a peer")
                                          : fmt::format("rank{} {}", missing.size() > 1 ? "s" : "", fmt::join(missing, ", "));
  throw Error(fmt::format("rank {} of {}: lost {} during {}; stopping (torchrun --max_restarts restarts the group from "
                          "the last checkpoint)",
                          rank_, world_, who, what));
}

void ProcessGroup::all_reduce_sum(std::vector<at::Tensor>& tensors) const {
  if (!distributed() || tensors.empty()) return;
  // Buckets of about 4 MB of contiguous float data: one collective per bucket.
  constexpr std::int64_t kBucketBytes = 4 << 20;
  std::size_t i = 0;
  while (i < tensors.size()) {
    std::size_t j = i;
    std::int64_t bytes = 0;
    const auto dtype = tensors[i].scalar_type();
    while (j < tensors.size() && tensors[j].scalar_type() == dtype && (j == i || bytes + tensors[j].nbytes() <= kBucketBytes))
      bytes += static_cast<std::int64_t>(tensors[j].nbytes()), ++j;
    std::vector<at::Tensor> flat;
    for (std::size_t k = i; k < j; ++k) flat.push_back(tensors[k].reshape({-1}));
    // (the callers' tensors may be on the CPU, such as counts and the loss, or on the device: the buffer goes where
    // the backend reduces, and copy_ brings each part back to its own tensor's device)
    std::vector<at::Tensor> buffer{at::cat(flat).to(impl_->buffers)};
    try {
      impl_->group->allreduce(buffer)->wait(impl_->timeout);
    } catch (const std::exception& e) {
      lost(fmt::format("an all-reduce ({})", first_line(e)));
    }
    std::int64_t offset = 0;
    for (std::size_t k = i; k < j; ++k) {
      const std::int64_t n = tensors[k].numel();
      tensors[k].copy_(buffer[0].narrow(0, offset, n).view_as(tensors[k]));
      offset += n;
    }
    i = j;
  }
}

void ProcessGroup::all_reduce_sum(at::Tensor& tensor) const {
  std::vector<at::Tensor> one{tensor};
  all_reduce_sum(one);
}

void ProcessGroup::barrier() const {
  if (!distributed()) return;
  try {
    impl_->group->barrier()->wait(impl_->timeout);
  } catch (const std::exception& e) {
    lost(fmt::format("a barrier ({})", first_line(e)));
  }
}

std::pair<std::int64_t, std::int64_t> ProcessGroup::share(std::int64_t n) const {
  return {n * rank_ / world_, n * (rank_ + 1) / world_};
}

}  // namespace scoregen::engine
