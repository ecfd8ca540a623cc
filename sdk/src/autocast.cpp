// AutocastScope: enable LibTorch's autocast for one device type, restore it after.
#include "scoregen/autocast.hpp"

#include <ATen/autocast_mode.h>

#include "scoregen/torch_compat.hpp"

namespace scoregen {

AutocastScope::AutocastScope(c10::Device device, c10::ScalarType dtype)
    : active_(dtype != c10::ScalarType::Float), cuda_(device.is_cuda()) {
  if (!active_) return;
  const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  was_enabled_ = torch_compat::autocast_enabled(type);
  was_dtype_ = torch_compat::autocast_dtype(type);
  torch_compat::set_autocast_enabled(type, true);
  torch_compat::set_autocast_dtype(type, dtype);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();  // the cast weights of this scope
  torch_compat::set_autocast_enabled(type, was_enabled_);
  torch_compat::set_autocast_dtype(type, was_dtype_);
}

}  // namespace scoregen
