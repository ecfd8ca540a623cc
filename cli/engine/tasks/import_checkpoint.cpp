// A score_sde_pytorch checkpoint -> a scoregen checkpoint: its pipeline from the config, its weights (raw and EMA)
// through scripts/score_sde_to_scoregen.py.
#include "engine/tasks/import_checkpoint.hpp"

#include <cstring>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include "engine/host/record.hpp"
#include "engine/io/checkpoint.hpp"
#include "engine/io/files.hpp"
#include "engine/io/score_sde_configs.hpp"
#include "engine/io/score_sde_import.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"

namespace scoregen::engine {

Report import_checkpoint(const ImportRequest& r) {
  if (r.format != "score-sde")
    throw Error(fmt::format("scoregen import: unknown format '{}' (known: score-sde, for score_sde_pytorch checkpoints)",
                            r.format));
  if (r.checkpoint.empty()) throw Error("scoregen import score-sde: which checkpoint? (CHECKPOINT.pth)");
  if (r.config.empty())
    throw Error("scoregen import score-sde: --config is required (a published config name such as "
                "vp/cifar10_ddpmpp_continuous, or a .toml): the checkpoint does not say which network it holds");
  if (r.out.empty()) throw Error("scoregen import score-sde: --out is required (the scoregen checkpoint, .pt)");
  if (extension(r.out) != ".pt") throw Error(fmt::format("--out {}: a scoregen checkpoint is a .pt file", r.out));
  check_output_apart("--out", r.out, {{"checkpoint", r.checkpoint}, {"config", r.config}}, "");
  SessionRequest sr = r.session;
  // score_sde's section names given to --set: their keys are --config-set's
  for (const std::string& set : sr.overrides.set)
    for (const char* section : {"model.", "training.", "sampling.", "optim.", "eval."})
      if (set.rfind(section, 0) == 0)
        throw Error(fmt::format("--set {}: [{}] is a section of score_sde's config, not of a scoregen pipeline: give "
                                "score_sde's keys as --config-set {}", set, std::string(section, std::strlen(section) - 1), set));
  sr.pipeline_text = score_sde_pipeline(r.config, r.config_sets);
  sr.pipeline_source = r.config;
  if (sr.base_dir.empty()) sr.base_dir = std::filesystem::current_path().string();
  Session s = open_session(sr);
  auto network = s.pipeline->create_as<Network>("network", s.context(), "scoregen import");
  // The weights as trained go into the network; the EMA shadow (what score_sde_pytorch samples with) is stored as
  // the checkpoint's EMA, in parameters() order.
  const ScoreSdeTensors raw = convert_score_sde_checkpoint(r.checkpoint, false, r.trust);
  const ScoreSdeTensors ema = convert_score_sde_checkpoint(r.checkpoint, true, r.trust);
  load_score_sde_tensors(ema, *network, r.checkpoint);
  CheckpointState state;
  for (const at::Tensor& p : network->parameters()) state.ema.push_back(p.detach().clone());
  load_score_sde_tensors(raw, *network, r.checkpoint);
  state.step = raw.step;
  state.pipeline = s.pipeline->to_toml();
  save_checkpoint(r.out, state, *network, nullptr);
  std::int64_t count = 0;
  for (const at::Tensor& p : network->parameters()) count += p.numel();
  Report report;
  report.line(fmt::format("import: {} (score_sde_pytorch, step {}) -> {}: [network] {} with {} parameters on [sde] {}, "
                          "weights as trained and their EMA (sampling uses the EMA)",
                          r.checkpoint, raw.step, r.out, s.pipeline->plugin("network").name, count,
                          s.pipeline->plugin("sde").name));
  report.field("command", "import").field("checkpoint", r.checkpoint).field("config", r.config).field("output", r.out)
      .field("step", raw.step).field("parameters", count);
  return report;
}

}  // namespace scoregen::engine
