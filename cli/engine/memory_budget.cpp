// The memory a result needs against the memory there is.
#include "engine/memory_budget.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

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

}  // namespace scoregen::engine
