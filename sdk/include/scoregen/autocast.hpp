// LibTorch's autocast for the life of a scope, as torch.autocast: convolutions and matrix products run in a lower
// precision (bf16) on one device type, everything else in float32; the previous state is restored after.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "scoregen/api.hpp"

namespace scoregen {

class SCOREGEN_API AutocastScope {
 public:
  // dtype = float32: nothing changes.
  AutocastScope(c10::Device device, c10::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_, cuda_, was_enabled_ = false;
  c10::ScalarType was_dtype_ = c10::ScalarType::Float;
};

}  // namespace scoregen
