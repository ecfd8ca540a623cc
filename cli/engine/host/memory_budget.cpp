// The memory a result needs against the memory there is.
#include "engine/host/memory_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scoregen/error.hpp"

namespace scoregen::engine {

double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    double kib = 0;
    if (words >> key >> kib && key == "MemAvailable:") return kib * 1024.0;
  }
  return static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

void require_memory_for(double count, const std::vector<std::int64_t>& shape, const std::string& what) {
  double per_item = 4.0;  // float32
  for (auto d : shape) per_item *= static_cast<double>(d);
  const double need = count * per_item, have = available_memory_bytes();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  if (need > have)
    throw Error(fmt::format("{}: {} of shape [{}] need {:.1f} GiB in memory; {:.1f} GiB are available (ask for fewer, "
                            "or split the work into several runs with other seeds)",
                            what, count < 1e15 ? fmt::format("{:.0f}", count) : fmt::format("{:.3g}", count),
                            fmt::join(shape, ", "), need / kGiB, have / kGiB));
}

namespace {

// LibTorch's CPU allocator with a count of the bytes it holds. Its allocations are "simple" as LibTorch's own are (the
// context is the data), so raw_allocate works through it too; it stays valid for the process's life, since a storage
// returns to the allocator that made it to grow.
class CountingAllocator final : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* inner) : inner_(inner) {}
  // LibTorch 1.13 declares allocate() const, 2.x not: one of the two overrides the base's, the other is unused.
  c10::DataPtr allocate(std::size_t n) const { return counted(n); }
  c10::DataPtr allocate(std::size_t n) { return counted(n); }
  // 2.x: clone() copies through this
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  void arm() { held_ = 0, peak_ = 0; }
  double peak() const { return static_cast<double>(peak_.load()); }
  c10::Allocator* inner() const { return inner_; }

  static CountingAllocator* self;  // the one instance (release() is a plain function pointer)

 private:
  static void release(void* data) {
    if (!data) return;
    std::size_t bytes = 0;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      auto it = self->sizes_.find(data);
      if (it != self->sizes_.end()) bytes = it->second, self->sizes_.erase(it);
    }
    self->held_ -= static_cast<std::int64_t>(bytes);
    self->inner_->raw_deleter()(data);
  }
  c10::DataPtr counted(std::size_t n) const {
    void* data = inner_->raw_allocate(n);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[data] = n;
    }
    const std::int64_t now = held_ += static_cast<std::int64_t>(n);
    std::int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::Allocator* inner_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, std::size_t> sizes_;
  mutable std::atomic<std::int64_t> held_{0}, peak_{0};
};
CountingAllocator* CountingAllocator::self = nullptr;

}  // namespace

double peak_cpu_allocation(const std::function<void()>& work) {
  static CountingAllocator counting(c10::GetCPUAllocator());
  if (!counting.inner()->raw_deleter()) return 0;  // an allocator without raw allocations: nothing is measured
  CountingAllocator::self = &counting;
  constexpr std::uint8_t kPriority = 255;  // above any other, so that LibTorch allocates through it while it is set
  counting.arm();
  c10::SetCPUAllocator(&counting, kPriority);
  try {
    work();
  } catch (...) {
    c10::SetCPUAllocator(counting.inner(), kPriority);
    throw;
  }
  c10::SetCPUAllocator(counting.inner(), kPriority);
  return counting.peak();
}

}  // namespace scoregen::engine
