// Training checkpoints: network, EMA weights, optimizer, step, RNG states and the resolved pipeline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}
namespace torch::serialize {
class InputArchive;
}

namespace scoregen::engine {

struct CheckpointState {
  std::int64_t step = 0;
  std::string pipeline;          // the resolved pipeline (TOML) that made it
  std::vector<at::Tensor> ema;   // EMA of the parameters, in parameters() order (may be empty)
  std::vector<at::Tensor> target;  // a consistency objective's target network theta^-, in parameters() order (may be empty)
  std::vector<at::Tensor> rng;   // generator states (written by earlier versions; draws are now counter-based)
  bool has_optimizer = false;    // the optimizer's state was stored (a training checkpoint, not an export)
  // Where the run's record stood at `step`, so a resumed run continues it: seconds of training so far, and the
  // losses of the metrics window still open (summed, counted).
  double elapsed_s = 0, loss_sum = 0;
  std::int64_t loss_count = 0;
};

// Writes the checkpoint atomically (temporary name, then rename).
void save_checkpoint(const std::string& path, const CheckpointState& state, torch::nn::Module& module,
                     torch::optim::Optimizer* optimizer);
// A checkpoint opened and checked once (its zip members, storages and tensors): the stored pipeline, the step and the
// weights are all read from the one archive. What it hands out are copies, so it reads the same every time.
class CheckpointFile {
 public:
  explicit CheckpointFile(std::string path);  // an error naming the file when it is not an intact scoregen checkpoint
  const std::string& path() const { return path_; }
  std::string pipeline() const;
  std::int64_t step() const;
  // Into an already-built module (and optimizer when given); shapes must match.
  CheckpointState load(torch::nn::Module* module, torch::optim::Optimizer* optimizer) const;
  // The weights for sampling and evaluation: loaded, then the EMA applied. Returns the step.
  std::int64_t load_ema_weights(torch::nn::Module& module) const;

 private:
  std::string path_;
  std::shared_ptr<torch::serialize::InputArchive> archive_;
};

// One-off reads, each opening the file: a command that reads a checkpoint more than once opens a CheckpointFile
// (Session::checkpoint).
// Reads a checkpoint into an already-built module (and optimizer when given); shapes must match.
CheckpointState load_checkpoint(const std::string& path, torch::nn::Module* module, torch::optim::Optimizer* optimizer);
// Only the resolved pipeline stored in a checkpoint.
std::string checkpoint_pipeline(const std::string& path);
// Only its step.
std::int64_t checkpoint_step(const std::string& path);
// Copies the EMA weights into the module's parameters (sampling and evaluation use them).
void apply_ema(torch::nn::Module& module, const std::vector<at::Tensor>& ema);
// A checkpoint's weights for sampling and evaluation: loaded, then its EMA applied. Returns its step.
std::int64_t load_ema_weights(const std::string& path, torch::nn::Module& module);

}  // namespace scoregen::engine
