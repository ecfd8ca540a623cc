// ScoreModel: network + SDE + parameterisation -> score(x, t); counts evaluations (NFE).
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/ATen.h>

#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen {

class SCOREGEN_API ScoreModel {
 public:
  ScoreModel(std::shared_ptr<Network> network, std::shared_ptr<Sde> sde);

  // s(x, t) plus scale * grad log p_t(y | x) when guidance is set. Counts one NFE per call.
  at::Tensor score(const at::Tensor& x, const at::Tensor& t);
  // Probability-flow ODE drift f - 1/2 g^2 s (seed 001 eq. 13).
  at::Tensor ode_drift(const at::Tensor& x, const at::Tensor& t);

  void set_guidance(std::shared_ptr<Guidance> guidance, at::Tensor labels, double scale);
  void set_labels(at::Tensor labels) { labels_ = std::move(labels); }

  Sde& sde() { return *sde_; }
  const std::shared_ptr<Sde>& sde_ptr() const { return sde_; }
  Network& network() { return *network_; }
  std::int64_t nfe() const { return nfe_; }
  // Float32 on the model's device: how samplers create their tensors.
  at::TensorOptions options() const { return at::TensorOptions().dtype(at::kFloat).device(device_); }
  void set_device(at::Device device) { device_ = device; }
  void reset_nfe() { nfe_ = 0; }

 private:
  std::shared_ptr<Network> network_;
  std::shared_ptr<Sde> sde_;
  std::shared_ptr<Guidance> guidance_;
  at::Tensor labels_;
  double guidance_scale_ = 1.0;
  std::int64_t nfe_ = 0;
  at::Device device_ = at::kCPU;
};

}  // namespace scoregen
