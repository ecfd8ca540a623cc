// Guidance: the gradient of log p_t(y | x) that steers an unchanged score model (Song et al. 2021, eq. 14 and
// app. I.1).
#pragma once

#include <ATen/core/Tensor.h>

#include "scoregen/plugin.hpp"

namespace torch::nn {
class Module;
}

namespace scoregen {

class SCOREGEN_API Guidance : public Component {
 public:
  // grad_x log p_t(y | x): same shape as x; y: [B] int64.
  virtual at::Tensor grad_log_prob(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) = 0;
  // Class logits of noised inputs [B, K] (time-dependent classifiers; analytic posteriors give log p_t(k | x)).
  virtual at::Tensor logits(const at::Tensor& x, const at::Tensor& t) = 0;
  // Features for evaluation metrics (the classifier's pooled trunk); the logits by default.
  virtual at::Tensor features(const at::Tensor& x, const at::Tensor& t) { return logits(x, t); }
  // The trainable module (trained by `scoregen train` with [objective] plugin = "classifier"); null if analytic.
  virtual torch::nn::Module* module() { return nullptr; }
  // Number of classes it tells apart.
  virtual std::int64_t num_classes() const = 0;
};

}  // namespace scoregen
