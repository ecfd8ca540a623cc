// Adam with warmup and clipping, EMA of the weights, exact resumption.
#include "engine/math/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/module.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include "scoregen/autocast.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/progress.hpp"

namespace scoregen::engine {

Trainer::Trainer(torch::nn::Module& module, Trainee trainee, Objective& objective, Dataset& data,
                 const TrainSettings& settings, at::Device device, StepRandom random,
                 std::shared_ptr<const ProcessGroup> group)
    : module_(module), trainee_(trainee), objective_(objective), data_(data), settings_(settings), device_(device),
      random_(std::move(random)), group_(group ? std::move(group) : std::make_shared<ProcessGroup>()) {
  if (settings_.batch_size < group_->world())
    throw Error(fmt::format("[train] batch_size {} is the global batch: it needs at least one example per rank ({} ranks)",
                            settings_.batch_size, group_->world()));
  module_.to(device_);
  module_.train();
  params_ = module_.parameters();
  optimizer_ = std::make_unique<torch::optim::Adam>(
      params_, torch::optim::AdamOptions(settings_.lr).betas({settings_.beta1, 0.999}).eps(1e-8).weight_decay(
                   settings_.weight_decay));
  for (const auto& p : params_) ema_.push_back(p.detach().clone());
  if (objective_.target_decay(0, settings_.steps) >= 0) {
    if (!trainee_.target) throw Error(fmt::format("[objective] {} needs a target network, and this host gave none", objective_.describe()));
    auto& target = *trainee_.target;
    target.to(device_);
    target.train();  // dropout as in the student (Song et al. 2023's target network)
    target_ = target.parameters();
    if (target_.size() != params_.size()) throw Error("the target network does not have the trainee's parameters");
    torch::NoGradGuard guard;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      target_[i].set_requires_grad(false);
      target_[i].copy_(params_[i]);
    }
  }
}

void Trainer::sync_target_buffers() {
  torch::NoGradGuard guard;
  auto from = module_.buffers(), to = trainee_.target->buffers();
  for (std::size_t i = 0; i < from.size() && i < to.size(); ++i) to[i].copy_(from[i]);
}

void Trainer::begin_step() {
  trainee_.step = step_, trainee_.steps = settings_.steps;
  if (has_target()) sync_target_buffers();
}

Trainer::~Trainer() = default;

double Trainer::ema_decay() const {
  if (settings_.ema <= 0) return 0;
  // EMA e <- d e + (1 - d) p with the warm-up d_k = min(d, (1 + k) / (10 + k)) of
  // tf.train.ExponentialMovingAverage(num_updates), so short runs are not dominated by the initial weights.
  const double k = static_cast<double>(step_);
  return std::min(settings_.ema, (1.0 + k) / (10.0 + k));
}

void Trainer::trial_step(std::int64_t examples) {
  begin_step();
  module_.eval();
  {
    BatchRandom rng = random_(static_cast<std::uint64_t>(step_), 0, examples);
    BatchRandom::Scope current(rng);
    Batch b = data_.sample(rng);
    b.x = b.x.to(device_);
    if (b.y.defined()) b.y = b.y.to(device_);
    at::Tensor loss;
    {
      AutocastScope autocast(device_, settings_.precision);
      loss = objective_.loss(trainee_, b, rng).to(at::kFloat);
    }
    loss.backward();
  }
  for (auto& p : params_) p.mutable_grad().reset();
  module_.train();
}

double Trainer::step() {
  // Linear warmup of the learning rate (as score_sde_pytorch's optimization_manager)
  lr_ = settings_.warmup > 0
            ? settings_.lr * std::min(1.0, static_cast<double>(step_ + 1) / static_cast<double>(settings_.warmup))
            : settings_.lr;
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr_);
  // This rank's contiguous share of the global batch, and the draws of exactly those examples.
  const auto [first, last] = group_->share(settings_.batch_size);
  BatchRandom rng = random_(static_cast<std::uint64_t>(step_), first, last - first);
  BatchRandom::Scope current(rng);
  begin_step();
  Batch b = data_.sample(rng);
  b.x = b.x.to(device_);
  if (b.y.defined()) b.y = b.y.to(device_);
  optimizer_->zero_grad();
  // The share's mean loss weighted by its share of the batch: summed over the ranks, the global batch's mean.
  at::Tensor loss;
  {
    // bf16: the forward in bf16 under autocast, float32 master weights, Adam and EMA (mixed precision)
    AutocastScope autocast(device_, settings_.precision);
    loss = objective_.loss(trainee_, b, rng).to(at::kFloat) *
           (static_cast<double>(last - first) / static_cast<double>(settings_.batch_size));
  }
  double value = loss.item<double>();
  if (group_->distributed()) {
    loss.backward();
    // Gradients and the loss summed over the ranks, packed into buckets.
    std::vector<at::Tensor> sums;
    for (auto& p : params_) {
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
      sums.push_back(p.grad());
    }
    // the loss, and whether this rank was asked to stop (so that all ranks stop after the same step)
    sums.push_back(at::tensor({value, interrupt_requested() ? 1.0 : 0.0}, at::TensorOptions().dtype(at::kDouble)));
    const auto start = std::chrono::steady_clock::now();
    group_->all_reduce_sum(sums);
    all_reduce_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    value = sums.back()[0].item<double>();
    stop_agreed_ = sums.back()[1].item<double>() > 0;
    if (!std::isfinite(value)) throw Error(fmt::format("training diverged: non-finite loss at step {}", step_ + 1));
  } else {
    if (!std::isfinite(value)) throw Error(fmt::format("training diverged: non-finite loss at step {}", step_ + 1));
    loss.backward();
  }
  if (settings_.grad_clip > 0) torch::nn::utils::clip_grad_norm_(params_, settings_.grad_clip);
  optimizer_->step();
  torch::NoGradGuard guard;
  if (settings_.ema > 0) {
    const double d = ema_decay();
    for (std::size_t i = 0; i < params_.size(); ++i) ema_[i].mul_(d).add_(params_[i].detach(), 1.0 - d);
  } else {
    for (std::size_t i = 0; i < params_.size(); ++i) ema_[i] = params_[i].detach().clone();
  }
  if (has_target()) {
    // theta^- <- stopgrad(mu theta^- + (1 - mu) theta) (Song et al. 2023, eq. 8)
    const double mu = objective_.target_decay(step_, settings_.steps);
    for (std::size_t i = 0; i < params_.size(); ++i) target_[i].mul_(mu).add_(params_[i].detach(), 1.0 - mu);
  }
  ++step_;
  return value;
}

void Trainer::apply_ema() { engine::apply_ema(module_, ema_); }

void Trainer::save(const std::string& path, const std::string& pipeline, const CheckpointState& tally) const {
  CheckpointState st = tally;
  st.step = step_;
  st.pipeline = pipeline;
  st.ema = ema_;  // the draws need no state: they are a function of the seed and the step
  st.target = target_;
  save_checkpoint(path, st, module_, optimizer_.get());
}

bool Trainer::resume(const std::string& path) {
  CheckpointState st = load_checkpoint(path, &module_, optimizer_.get());
  if (!st.has_optimizer || st.ema.size() != ema_.size()) return false;
  if (has_target()) {
    if (st.target.size() != target_.size()) return false;
    torch::NoGradGuard guard;
    for (std::size_t i = 0; i < target_.size(); ++i) target_[i].copy_(st.target[i]);
  }
  step_ = st.step;
  tally_ = st;
  tally_.ema.clear();
  tally_.target.clear();
  ema_.clear();
  for (const auto& e : st.ema) ema_.push_back(e.to(device_));
  return true;
}

void Trainer::start_from(const std::string& path) {
  CheckpointState st = load_checkpoint(path, &module_, nullptr);
  step_ = st.step;
  ema_.clear();
  if (st.ema.size() == params_.size()) {
    for (const auto& e : st.ema) ema_.push_back(e.to(device_));
  } else {
    for (const auto& p : params_) ema_.push_back(p.detach().clone());
  }
  torch::NoGradGuard guard;
  for (std::size_t i = 0; i < target_.size(); ++i) target_[i].copy_(params_[i]);
}

}  // namespace scoregen::engine
