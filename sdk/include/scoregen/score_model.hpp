// ScoreModel: network + SDE + parameterisation -> score(x, t), with optional guidance; counts evaluations (NFE).
// Light on purpose: samplers see it without LibTorch's nn headers.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "scoregen/api.hpp"

namespace scoregen {

class Guidance;
class Network;
class Sde;

class SCOREGEN_API ScoreModel {
 public:
  ScoreModel(std::shared_ptr<Network> network, std::shared_ptr<Sde> sde);
  ~ScoreModel();

  // s(x, t) plus scale * grad log p_t(y | x) when guidance is set. Counts one NFE per call.
  at::Tensor score(const at::Tensor& x, const at::Tensor& t);
  // The network's own output at (x, t) (its prediction: score, noise or data), in the model's precision, before
  // score() turns it into a score. Counts one NFE.
  at::Tensor output(const at::Tensor& x, const at::Tensor& t);
  // Probability-flow ODE drift f - 1/2 g^2 s (Song et al. 2021, eq. 13).
  at::Tensor ode_drift(const at::Tensor& x, const at::Tensor& t);

  // Class guidance: the labels (one per example; a shorter batch uses the first ones) and the weight.
  void set_guidance(std::shared_ptr<Guidance> guidance, at::Tensor labels, double scale);
  // Labels passed to a class-conditional network.
  void set_labels(at::Tensor labels) { labels_ = std::move(labels); }
  const std::shared_ptr<Guidance>& guidance() const { return guidance_; }
  const at::Tensor& labels() const { return labels_; }

  Sde& sde() { return *sde_; }
  Network& network() { return *network_; }
  std::int64_t nfe() const { return nfe_; }
  // Float32 on the model's device: how samplers create their tensors.
  at::TensorOptions options() const;
  at::Device device() const { return device_; }
  void set_device(at::Device device) { device_ = device; }
  // The network's arithmetic: float32, or a lower precision (bf16) under LibTorch's autocast on the model's device
  // (convolutions and matrix products in that type, the weights, the score and every sampler state in float32).
  at::ScalarType precision() const { return precision_; }
  void set_precision(at::ScalarType precision) { precision_ = precision; }
  void reset_nfe() { nfe_ = 0; }

 private:
  at::Tensor labels_for(const at::Tensor& x) const;
  std::shared_ptr<Network> network_;
  std::shared_ptr<Sde> sde_;
  std::shared_ptr<Guidance> guidance_;
  at::Tensor labels_;
  double guidance_scale_ = 1.0;
  std::int64_t nfe_ = 0;
  at::Device device_ = at::kCPU;
  at::ScalarType precision_ = at::kFloat;
};

}  // namespace scoregen
