// The training loop of every trainee (score network or classifier): Adam with linear warmup and gradient-norm
// clipping, an exponential moving average of the weights, and the exact state for bit-for-bit resumption; data
// parallel over a process group, where [train] batch_size is the global batch (docs/scaling.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/process_group.hpp"
#include "engine/io/checkpoint.hpp"
#include "scoregen/batch_random.hpp"
#include "scoregen/dataset.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/options.hpp"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Adam;
}

namespace scoregen::engine {

// The draws of examples [first, first + count) of a step's global batch.
using StepRandom = std::function<BatchRandom(std::uint64_t step, std::int64_t first, std::int64_t count)>;

class Trainer {
 public:
  // `module` holds the parameters `objective` trains through `trainee`; every random number of a step (the
  // examples drawn from `data`, the objective's times, noise and probes, dropout masks) comes from `random`, per
  // example. Each rank of `group` takes its contiguous share of the global batch; the gradients are summed over the
  // ranks, so every rank takes the same step.
  Trainer(torch::nn::Module& module, Trainee trainee, Objective& objective, Dataset& data, const TrainSettings& settings,
          at::Device device, StepRandom random, std::shared_ptr<const ProcessGroup> group = nullptr);
  ~Trainer();

  // One optimizer step; returns the global batch's mean loss. A non-finite loss is an error naming the step.
  double step();
  // The loss and its gradients for `examples` examples of the next step, without a step: the weights, the optimizer,
  // the EMA, every random stream and the module's buffers stay as they were (eval mode, gradients cleared after).
  // What one step's memory per example is measured with.
  void trial_step(std::int64_t examples);
  std::int64_t steps_done() const { return step_; }
  // The learning rate of the last step (after warmup).
  double lr() const { return lr_; }
  // The EMA decay of the next update: min(ema, (1 + k) / (10 + k)) at step k; 0 when the EMA is off.
  double ema_decay() const;
  // Seconds spent summing gradients over the ranks (0 in a group of one).
  double all_reduce_seconds() const { return all_reduce_seconds_; }
  const std::vector<at::Tensor>& ema() const { return ema_; }
  // A consistency objective's target network theta^- (Trainee::target): its weights follow the EMA of the objective's
  // target_decay(), kept in the checkpoint for an exact resume; its buffers are the trainee's.
  bool has_target() const { return !target_.empty(); }
  // The module's weights replaced by their moving average (what sampling uses).
  void apply_ema();

  // In a process group: whether any rank asked to stop (a signal) before the last step; every rank sees the same
  // answer after the same step, so they stop together.
  bool stop_agreed() const { return stop_agreed_; }

  // Resumable state (optimizer included, through save/resume), with the run's tally (elapsed time, the open
  // metrics window) that resume() hands back through tally().
  void save(const std::string& path, const std::string& pipeline, const CheckpointState& tally) const;
  const CheckpointState& tally() const { return tally_; }
  // Continues from a checkpoint written by save(), with any world size; false when it lacks the optimizer or EMA
  // state to resume exactly.
  bool resume(const std::string& path);
  // Continues from a checkpoint without optimizer state (an import or an export): its weights, its EMA (the weights
  // when it has none) and its step; the optimizer's moments start at zero.
  void start_from(const std::string& path);

 private:
  torch::nn::Module& module_;
  Trainee trainee_;
  Objective& objective_;
  Dataset& data_;
  TrainSettings settings_;
  at::Device device_;
  StepRandom random_;
  std::shared_ptr<const ProcessGroup> group_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::vector<at::Tensor> params_, ema_, target_;
  void sync_target_buffers();
  void begin_step();  // the step seen by the objective, the target's buffers
  CheckpointState tally_;
  bool stop_agreed_ = false;
  std::int64_t step_ = 0;
  double lr_ = 0, all_reduce_seconds_ = 0;
};

}  // namespace scoregen::engine
