// Guidance: the gradient of log p_t(y | x) that steers an unchanged score model.
#pragma once

#include <ATen/ATen.h>

#include "scoregen/plugin.hpp"

namespace scoregen {

class SCOREGEN_API Guidance : public Component {
 public:
  // grad_x log p_t(y | x): same shape as x; y: [B] int64.
  virtual at::Tensor grad_log_prob(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) = 0;
};

}  // namespace scoregen
