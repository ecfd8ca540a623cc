// Exports a training checkpoint's EMA weights as the weights, without the optimizer and RNG state.
#include "engine/tasks/export_checkpoint.hpp"

#include <filesystem>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>
#include <torch/nn/module.h>

#include "engine/host/assemble.hpp"
#include "engine/host/record.hpp"
#include "engine/io/checkpoint.hpp"
#include "engine/io/files.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/objective.hpp"

namespace scoregen::engine {

namespace {

// The tracer records the device of every tensor the model creates (the time embedding's arange, ...) as the constant
// "cpu", so the traced module failed on CUDA inputs (seen on an H200: "found at least two devices, cuda:0 and cpu").
// Each such constant becomes the device of the first input x: the module runs where its input is (its weights go
// where torch.jit.load's map_location puts them).
void follow_input_device(torch::jit::Graph& graph) {
  torch::jit::Node* device = graph.create(c10::prim::device, {graph.inputs().at(0)});
  device->output()->setType(c10::DeviceObjType::get());
  graph.prependNode(device);
  for (torch::jit::Node* node : graph.nodes())
    for (std::size_t i = 0; i < node->inputs().size(); ++i) {
      torch::jit::Value* in = node->inputs()[i];
      if (in->node()->kind() == c10::prim::Constant && in->type()->kind() == c10::TypeKind::DeviceObjType)
        node->replaceInput(i, device->output());
    }
}

// The score s(x, t) of the checkpoint's model (EMA weights, parameterisation applied, the SDE's schedule inside) as
// a TorchScript module, traced (torch::jit::tracer) on a batch of 2. The tracer records every shape as a constant,
// so the traced score is checked on a batch of 3 against the model itself: where it agrees (the built-in networks
// name no batch size in their shapes), forward(x, t) is the traced score for any batch; otherwise (a network whose
// shapes name its batch) it applies a score traced on one example to every row, one call per example.
Report export_torchscript(const ExportRequest& r) {
  AssemblyRequest ar;
  ar.command = "scoregen export --torchscript";
  ar.checkpoint = r.session.checkpoint;
  Assembly a = assemble(open_session(r.session), ar);
  ScoreModel& model = *a.model;
  for (auto& p : a.network->parameters()) p.requires_grad_(false);  // weights become the graph's constants
  torch::NoGradGuard no_grad;
  // traces the score on `batch` examples (t spread over (0, 1)); the graph's first input is x
  auto trace = [&](std::int64_t batch) {
    std::vector<std::int64_t> shape = a.shape;
    shape.insert(shape.begin(), batch);
    at::Tensor x = at::zeros(shape, at::kFloat), t = at::linspace(0.25, 0.75, batch, at::kFloat);
    try {
      auto traced = torch::jit::tracer::trace(
          {x, t},
          [&](torch::jit::Stack in) -> torch::jit::Stack {
            return {model.score(in[0].toTensor(), in[1].toTensor())};
          },
          [](const at::Tensor&) { return std::string(); }, /*strict=*/false);
      std::shared_ptr<torch::jit::Graph> graph = traced.first->graph;
      follow_input_device(*graph);
      return graph;
    } catch (const c10::Error& e) {
      std::string msg = e.what_without_backtrace();
      throw Error(fmt::format("the [network] '{}' cannot be traced to TorchScript: {}",
                              a.session.pipeline->plugin("network").name, msg.substr(0, msg.find('\n'))));
    }
  };
  torch::jit::Module module("__torch__.scoregen.Score");
  auto add_method = [&](const std::string& name, std::shared_ptr<torch::jit::Graph> graph) {
    graph->insertInput(0, "self")->setType(module._ivalue()->type());
    module.type()->addMethod(
        module._ivalue()->compilation_unit()->create_function("__torch__.scoregen.Score." + name, std::move(graph)));
  };
  add_method("score_batch", trace(2));
  std::vector<std::int64_t> three = a.shape;
  three.insert(three.begin(), 3);
  const at::Tensor x3 = at::randn(three, at::kFloat), t3 = at::tensor({0.1f, 0.5f, 0.9f});
  bool any_batch = false;
  try {
    const at::Tensor traced = module.run_method("score_batch", x3, t3).toTensor(), eager = model.score(x3, t3);
    any_batch = traced.sizes() == eager.sizes() &&
                (traced - eager).abs().max().item<double>() <= 1e-5 * eager.abs().max().item<double>() + 1e-6;
  } catch (const std::exception&) {  // a shape recorded with the batch of 2 does not fit 3
  }
  if (any_batch) {
    module.define(R"JIT(
def forward(self, x: Tensor, t: Tensor) -> Tensor:
    # the score of every example (t of shape [B], one time per example)
    return self.score_batch(x, t)
)JIT");
  } else {
    add_method("score_one", trace(1));
    module.define(R"JIT(
def forward(self, x: Tensor, t: Tensor) -> Tensor:
    # the score of every example (t of shape [B], one time per example), one example at a time
    rows: List[Tensor] = []
    for i in range(x.size(0)):
        rows.append(self.score_one(x[i:i + 1], t[i:i + 1]))
    return torch.cat(rows)
)JIT");
  }
  std::ostringstream bytes;
  module.save(bytes);
  write_file_atomic(r.out, bytes.str());
  Report report;
  report.line(fmt::format("export: {} -> {} (TorchScript: forward(x [B, {}], t [B]) is the score{}; load it with "
                          "torch.jit.load)", r.session.checkpoint, r.out, fmt::join(a.shape, ", "),
                          any_batch ? "" : ", one example at a time: the network's shapes name its batch size"));
  report.field("command", "export").field("checkpoint", r.session.checkpoint).field("output", r.out)
      .field("torchscript", true).field("any_batch", any_batch);
  return report;
}

}  // namespace

Report export_checkpoint(const ExportRequest& r) {
  if (r.session.checkpoint.empty() || r.out.empty())
    throw Error(fmt::format("scoregen export: {} required (export writes the weights of a checkpoint)",
                            r.session.checkpoint.empty() && r.out.empty() ? "--checkpoint and --out are"
                            : r.session.checkpoint.empty()                ? "--checkpoint is"
                                                                          : "--out is"));
  const std::string& ckpt = r.session.checkpoint;
  if (extension(r.out) != ".pt")
    throw Error(fmt::format("--out {}: export writes {}; name it .pt", r.out,
                            r.torchscript ? "a TorchScript archive (torch.jit.load)" : "a scoregen checkpoint"));
  check_output_apart("--out", r.out, {{"checkpoint", ckpt}}, r.session.pipeline_path);
  if (r.torchscript) return export_torchscript(r);
  Session s = open_session(r.session);
  s.pipeline->add_default("objective");
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
