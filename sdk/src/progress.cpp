// The Progress interface's out-of-line parts and the process-wide interrupt flag.
#include "scoregen/progress.hpp"

#include <atomic>

#include "scoregen/error.hpp"

namespace scoregen {

namespace {
std::atomic<bool> g_interrupt{false};
}  // namespace

Progress::~Progress() = default;

bool interrupt_requested() { return g_interrupt.load(); }
void request_interrupt() { g_interrupt.store(true); }
void throw_if_interrupted() {
  if (g_interrupt.load()) throw Interrupted();
}

}  // namespace scoregen
