// ScoreModel: the network's output as a score, plus optional class guidance; counts NFE.
#include "scoregen/score_model.hpp"

#include <ATen/ATen.h>

#include "scoregen/autocast.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/parameterization.hpp"
#include "scoregen/sde.hpp"

namespace scoregen {

ScoreModel::ScoreModel(std::shared_ptr<Network> network, std::shared_ptr<Sde> sde)
    : network_(std::move(network)), sde_(std::move(sde)) {}

ScoreModel::~ScoreModel() = default;

at::TensorOptions ScoreModel::options() const { return at::TensorOptions().dtype(at::kFloat).device(device_); }

void ScoreModel::set_guidance(std::shared_ptr<Guidance> guidance, at::Tensor labels, double scale) {
  guidance_ = std::move(guidance);
  labels_ = std::move(labels);
  guidance_scale_ = scale;
}

at::Tensor ScoreModel::labels_for(const at::Tensor& x) const {
  // One label for the whole batch, or one per example (a shorter batch takes the first ones).
  if (!labels_.defined() || labels_.size(0) == x.size(0)) return labels_;
  return labels_.size(0) == 1 ? labels_.expand({x.size(0)}) : labels_.narrow(0, 0, x.size(0));
}

at::Tensor ScoreModel::output(const at::Tensor& x, const at::Tensor& t) {
  ++nfe_;
  const at::Tensor labels = labels_for(x);
  if (precision_ == at::kFloat) return network_->forward(x, t, labels);
  AutocastScope scope(device_, precision_);
  return network_->forward(x, t, labels).to(at::kFloat);
}

at::Tensor score_from_output(const Network& network, const Sde& sde, const at::Tensor& out, const at::Tensor& x,
                             const at::Tensor& t) {
  at::Tensor std = network.noise_std(t);
  if (!std.defined()) std = sde.marginal_std(t);
  return to_score(network.predicts(), out, x, sde.mean_coeff(t), std);
}

at::Tensor ScoreModel::score(const at::Tensor& x, const at::Tensor& t) {
  at::Tensor s = score_from_output(*network_, *sde_, output(x, t), x, t);
  // Controllable generation (Song et al. 2021, eq. 14): s(x, t) + w grad log p_t(y | x).
  if (guidance_) s = s + guidance_scale_ * guidance_->grad_log_prob(x, t, labels_for(x));
  return s;
}

at::Tensor ScoreModel::ode_drift(const at::Tensor& x, const at::Tensor& t) {
  // Probability-flow ODE (Song et al. 2021, eq. 13): f(x, t) - 1/2 g(t)^2 s(x, t).
  at::Tensor g = sde_->diffusion(t);
  return sde_->drift(x, t) - 0.5 * batch_view(g * g, x) * score(x, t);
}

}  // namespace scoregen
