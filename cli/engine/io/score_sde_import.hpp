// score_sde_pytorch checkpoints (Song et al. 2021's code release): converted by scripts/score_sde_to_scoregen.py,
// run with Debian's python3-torch, into arrays and a manifest that this file reads without Python
// (docs/score_sde_networks.md).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace torch::nn {
class Module;
}

namespace scoregen::engine {

struct ScoreSdeTensors {
  std::int64_t step = 0;        // the training step stored in the checkpoint (0 if none)
  std::string weights;          // "ema" or "raw"
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // state-dict order, names without "module."
};

// The converter's output folder: manifest.toml and one .npy per tensor.
ScoreSdeTensors read_score_sde_tensors(const std::string& dir);
// Runs the converter on `checkpoint` (EMA weights when `ema`; full unpickling when `trust`) into a temporary folder,
// reads it and removes it. The converter's own one-line message becomes the error. The interpreter is
// $SCOREGEN_PYTHON (a path, or a name on PATH), else /usr/bin/python3.
ScoreSdeTensors convert_score_sde_checkpoint(const std::string& checkpoint, bool ema, bool trust = false);
// score_sde_pytorch's config file (CONFIG.py, its get_config()) as the TOML of score_sde's own layout, through
// scripts/score_sde_config_to_toml.py with the same interpreter.
std::string score_sde_config_toml(const std::string& config);
// A script of scripts/: beside the sources for a binary of the build tree, under share/scoregen/scripts when installed.
std::string score_sde_script_path(const std::string& name);
// Copies every tensor into the module's parameter or buffer of the same name. A tensor the module lacks, one of
// another shape, or a module parameter or buffer the checkpoint lacks, is an error naming the first one; the
// `sigmas` table may be absent from a module that does not use it. `source` names the checkpoint in messages.
void load_score_sde_tensors(const ScoreSdeTensors& tensors, torch::nn::Module& module, const std::string& source);

}  // namespace scoregen::engine
