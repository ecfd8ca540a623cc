// A score network: a torch::nn::Module conditioned on time (and optionally a class). The only SDK header that
// includes LibTorch's nn headers.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <torch/nn/module.h>

#include "scoregen/parameterization.hpp"
#include "scoregen/plugin.hpp"

namespace scoregen {

class SCOREGEN_API Network : public torch::nn::Module, public Component {
 public:
  // x: [B, ...]; t: [B] in [0, T]; y: [B] int64 class labels or undefined.
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) = 0;
  // What the output means (converted to a score by ScoreModel).
  virtual Prediction predicts() const = 0;
  // False for analytic oracles that have nothing to train.
  virtual bool trainable() const { return true; }
  // Shape of one example when the network fixes it (analytic oracles); empty: taken from [data].
  virtual std::vector<std::int64_t> example_shape() const { return {}; }
  // The range of the data it models when there is no [data] (how samples become pixels): [-1, 1] by default,
  // [0, 1] for an imported score_sde_pytorch model of uncentred data.
  virtual std::pair<double, double> example_range() const { return {-1.0, 1.0}; }
  // True when forward() uses the class labels y (sample --class then draws that class without guidance).
  virtual bool class_conditional() const { return false; }
  // A consistency function f(x, sigma) (Song et al. 2023): the noise level sigma_min at which f(x, sigma_min) = x
  // exactly; its forward() is then f's data prediction. 0 for a score network (the default).
  virtual double consistency_sigma_min() const { return 0.0; }
  // Its largest noise level, where training's levels end and sampling starts (x_hat = sigma_max z).
  virtual double consistency_sigma_max() const { return 0.0; }
  // The std of the perturbation kernel a noise prediction is relative to, at t [B]; undefined (the default): the
  // SDE's marginal_std(t). score_sde_pytorch's discrete-time DDPM++ divides by its chain's sqrt(1 - alpha_bar_i).
  virtual at::Tensor noise_std(const at::Tensor& t) const { return {}; }
};

class Sde;
// The network's output `out` at (x, t) as a score: to_score with the SDE's kernel and the network's noise_std.
SCOREGEN_API at::Tensor score_from_output(const Network& network, const Sde& sde, const at::Tensor& out,
                                          const at::Tensor& x, const at::Tensor& t);

}  // namespace scoregen
