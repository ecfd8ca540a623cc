// Exports a training checkpoint's EMA weights as the weights, without the optimizer and RNG state.
#include "engine/export_checkpoint.hpp"

#include <fmt/format.h>
#include <torch/nn/module.h>

#include "engine/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/objective.hpp"

namespace scoregen::engine {

int export_checkpoint(const ExportRequest& r) {
  if (r.session.checkpoint.empty() || r.out.empty()) throw Error("scoregen export: --checkpoint and --out are required");
  const std::string& ckpt = r.session.checkpoint;
  Session s = open_session(r.session);
  s.pipeline->add_default("objective", "dsm");
  auto objective = s.pipeline->create_as<Objective>("objective", s.context(), "scoregen export");
  std::shared_ptr<Component> keep;
  torch::nn::Module* module = nullptr;
  if (objective->target() == TrainingTarget::Guidance) {
    auto g = s.pipeline->create_as<Guidance>("guidance", s.context(), "scoregen export");
    module = g->module();
    keep = g;
  } else {
    auto n = s.pipeline->create_as<Network>("network", s.context(), "scoregen export");
    module = n.get();
    keep = n;
  }
  if (!module) throw Error("nothing to export: the checkpoint's trainee has no weights");
  CheckpointState st = load_checkpoint(ckpt, module, nullptr);
  apply_ema(*module, st.ema);
  CheckpointState slim;
  slim.step = st.step;
  slim.pipeline = st.pipeline;
  save_checkpoint(r.out, slim, *module, nullptr);
  fmt::print("export: {} (step {}) -> {} (EMA weights only)\n", ckpt, st.step, r.out);
  return 0;
}

}  // namespace scoregen::engine
