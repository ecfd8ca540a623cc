// AutocastScope: enable LibTorch's autocast for one device type, restore it after.
#include "scoregen/autocast.hpp"

#include <ATen/autocast_mode.h>

namespace scoregen {

AutocastScope::AutocastScope(c10::Device device, c10::ScalarType dtype)
    : active_(dtype != c10::ScalarType::Float), cuda_(device.is_cuda()) {
  if (!active_) return;
  was_enabled_ = cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  was_dtype_ = cuda_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  cuda_ ? at::autocast::set_enabled(true) : at::autocast::set_cpu_enabled(true);
  cuda_ ? at::autocast::set_autocast_gpu_dtype(dtype) : at::autocast::set_autocast_cpu_dtype(dtype);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();  // the cast weights of this scope
  cuda_ ? at::autocast::set_enabled(was_enabled_) : at::autocast::set_cpu_enabled(was_enabled_);
  cuda_ ? at::autocast::set_autocast_gpu_dtype(was_dtype_) : at::autocast::set_autocast_cpu_dtype(was_dtype_);
}

}  // namespace scoregen
