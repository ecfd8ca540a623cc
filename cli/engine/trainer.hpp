// The training loop of every trainee (score network or classifier): Adam with linear warmup and gradient-norm
// clipping, an exponential moving average of the weights, and the exact state for bit-for-bit resumption.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "engine/checkpoint.hpp"
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

// [train]: the optimiser's settings.
struct TrainSettings {
  std::int64_t steps = 2000, batch_size = 256, warmup = 100, checkpoint_every = 500, log_every = 50;
  double lr = 2e-3, beta1 = 0.9, weight_decay = 0.0, grad_clip = 1.0, ema = 0.999;
  static TrainSettings from(const Options& train);
};

class Trainer {
 public:
  // `module` holds the parameters `objective` trains through `trainee`; batches come from `data` drawn with
  // `data_gen`, the objective's noise from `noise_gen`.
  Trainer(torch::nn::Module& module, Trainee trainee, Objective& objective, Dataset& data, const TrainSettings& settings,
          at::Device device, at::Generator data_gen, at::Generator noise_gen);
  ~Trainer();

  // One optimizer step; returns the batch's loss. A non-finite loss is an error naming the step.
  double step();
  std::int64_t steps_done() const { return step_; }
  // The learning rate of the last step (after warmup).
  double lr() const { return lr_; }
  const std::vector<at::Tensor>& ema() const { return ema_; }
  // The module's weights replaced by their moving average (what sampling uses).
  void apply_ema();

  // Resumable state (optimizer included, through save/resume).
  void save(const std::string& path, const std::string& pipeline) const;
  // Continues from a checkpoint written by save(); false when it lacks the RNG or EMA state to resume exactly.
  bool resume(const std::string& path);

 private:
  torch::nn::Module& module_;
  Trainee trainee_;
  Objective& objective_;
  Dataset& data_;
  TrainSettings settings_;
  at::Device device_;
  at::Generator data_gen_, noise_gen_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::vector<at::Tensor> params_, ema_;
  std::int64_t step_ = 0;
  double lr_ = 0;
};

}  // namespace scoregen::engine
