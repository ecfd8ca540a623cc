// Exports a training checkpoint's EMA weights as the weights, without the optimizer and RNG state.
#include "engine/export_checkpoint.hpp"

#include <filesystem>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>
#include <torch/nn/module.h>

#include "engine/assemble.hpp"
#include "engine/checkpoint.hpp"
#include "engine/files.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/objective.hpp"

namespace scoregen::engine {

namespace {

// The score s(x, t) of the checkpoint's model (EMA weights, parameterisation applied, the SDE's schedule inside) as
// a TorchScript module: one example traced (torch::jit::tracer), and forward(x, t) applying it to every row.
Report export_torchscript(const ExportRequest& r) {
  AssemblyRequest ar;
  ar.command = "scoregen export --torchscript";
  ar.checkpoint = r.session.checkpoint;
  Assembly a = assemble(open_session(r.session), ar);
  ScoreModel& model = *a.model;
  for (auto& p : a.network->parameters()) p.requires_grad_(false);  // weights become the graph's constants
  std::vector<std::int64_t> one = a.shape;
  one.insert(one.begin(), 1);
  at::Tensor x = at::zeros(one, at::kFloat), t = at::full({1}, 0.5, at::kFloat);
  torch::NoGradGuard no_grad;
  std::shared_ptr<torch::jit::Graph> graph;
  try {
    auto traced = torch::jit::tracer::trace(
        {x, t},
        [&](torch::jit::Stack in) -> torch::jit::Stack {
          return {model.score(in[0].toTensor(), in[1].toTensor())};
        },
        [](const at::Tensor&) { return std::string(); }, /*strict=*/false);
    graph = traced.first->graph;
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw Error(fmt::format("the [network] '{}' cannot be traced to TorchScript: {}", a.session.pipeline->plugin("network").name,
                            msg.substr(0, msg.find('\n'))));
  }
  torch::jit::Module module("__torch__.scoregen.Score");
  graph->insertInput(0, "self")->setType(module._ivalue()->type());
  auto* fn = module._ivalue()->compilation_unit()->create_function("__torch__.scoregen.Score.score_one", graph);
  module.type()->addMethod(fn);
  module.define(R"JIT(
def forward(self, x: Tensor, t: Tensor) -> Tensor:
    # the score of every example (t of shape [B], one time per example)
    rows: List[Tensor] = []
    for i in range(x.size(0)):
        rows.append(self.score_one(x[i:i + 1], t[i:i + 1]))
    return torch.cat(rows)
)JIT");
  std::ostringstream bytes;
  module.save(bytes);
  write_file_atomic(r.out, bytes.str());
  Report report;
  report.line(fmt::format("export: {} -> {} (TorchScript: forward(x [B, {}], t [B]) is the score; load it with "
                          "torch.jit.load)", r.session.checkpoint, r.out, fmt::join(a.shape, ", ")));
  report.field("command", "export").field("checkpoint", r.session.checkpoint).field("output", r.out)
      .field("torchscript", true);
  return report;
}

}  // namespace

Report export_checkpoint(const ExportRequest& r) {
  if (r.session.checkpoint.empty() || r.out.empty()) throw Error("scoregen export: --checkpoint and --out are required");
  const std::string& ckpt = r.session.checkpoint;
  std::error_code ec;
  if (std::filesystem::equivalent(ckpt, r.out, ec))
    throw Error(fmt::format("scoregen export: --out {} is the checkpoint itself; write the export to another file", r.out));
  if (r.torchscript) return export_torchscript(r);
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
  Report report;
  report.line(fmt::format("export: {} (step {}) -> {} (EMA weights only)", ckpt, st.step, r.out));
  report.field("command", "export").field("checkpoint", ckpt).field("step", st.step).field("output", r.out);
  return report;
}

}  // namespace scoregen::engine
