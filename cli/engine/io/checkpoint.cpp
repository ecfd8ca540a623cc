// Checkpoints as torch archives (torch::serialize), written atomically.
#include "engine/io/checkpoint.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize.h>

#include "engine/io/array_io.hpp"
#include "engine/io/checkpoint_members.hpp"
#include "engine/io/files.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {
constexpr const char* kFormat = "scoregen-checkpoint-1";

// One top-level value of an opened checkpoint; an absent key or a value of another type is an Error naming the file.
c10::IValue read_entry(torch::serialize::InputArchive& archive, const std::string& key, bool (c10::IValue::*is)() const,
                       const std::string& path) {
  c10::IValue v;
  if (!archive.try_read(key, v) || !(v.*is)())
    throw Error(fmt::format("{}: not a scoregen checkpoint (no valid '{}')", path, key));
  return v;
}

// Every tensor of `archive` (and of its sub-archives) lies within its storage. A damaged file whose zip checksums still
// hold can carry a storage shorter than its tensor's shape, which LibTorch loads as it is and then reads past the end.
void require_intact_tensors(torch::serialize::InputArchive& archive, const std::string& path) {
  for (const auto& key : archive.keys()) {
    at::Tensor t;
    if (archive.try_read(key, t) || archive.try_read(key, t, true)) {
      if (!within_storage(t))
        throw Error(fmt::format("{}: damaged: tensor '{}' of shape [{}] reaches past its data ({} bytes)", path, key,
                                fmt::join(t.sizes(), ", "), t.storage().nbytes()));
      continue;
    }
    torch::serialize::InputArchive child;
    if (archive.try_read(key, child)) require_intact_tensors(child, path);
  }
}

torch::serialize::InputArchive read_archive(const std::string& path) {
  std::string data = read_file(path);
  if (!members_intact(data)) throw Error(fmt::format("{}: not a scoregen checkpoint (unreadable or corrupt)", path));
  require_scoregen_members(data, path);
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in(data);
    archive.load_from(in);
    c10::IValue format;
    if (!archive.try_read("format", format) || !format.isString() || format.toStringRef() != kFormat)
      throw Error(fmt::format("{}: not a scoregen checkpoint", path));
    require_intact_tensors(archive, path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {  // a c10::Error, or torch::jit::ErrorReport when the archive's code is corrupt
    throw Error(fmt::format("{}: not a scoregen checkpoint (unreadable or corrupt)", path));
  }
  return archive;
}

// The module's parameters and buffers made its own: Module::load leaves them sharing the archive's storage, and a
// CheckpointFile read twice hands out the same values.
void own_storage(torch::nn::Module& module) {
  torch::NoGradGuard guard;
  for (auto& p : module.parameters()) p.set_data(p.detach().clone());
  for (auto& b : module.buffers()) b.set_data(b.detach().clone());
}

std::string shape_text(const at::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

// Whether the entry `key` is a tensor or a layer holding some (a layer without weights, such as a dropout an older
// version kept as a submodule, carries nothing to lose).
bool holds_tensors(torch::serialize::InputArchive& archive, const std::string& key) {
  at::Tensor t;
  if (archive.try_read(key, t) || archive.try_read(key, t, true)) return true;
  torch::serialize::InputArchive child;
  if (!archive.try_read(key, child)) return true;  // something else: not ours to ignore
  for (const auto& k : child.keys())
    if (holds_tensors(child, k)) return true;
  return false;
}

// Every parameter and buffer of `module` is in `archive` with its shape, and the archive holds nothing else: torch's
// Module::load would replace a parameter by a tensor of another shape (and ignore extra entries), so a checkpoint of
// another network configuration would fail later, inside the network, or run with the wrong weights.
void require_same_layout(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix) {
  std::vector<std::string> expected;
  auto check = [&](const std::string& name, const at::Tensor& ours, bool buffer) {
    expected.push_back(name);
    at::Tensor stored;
    if (!archive.try_read(name, stored, buffer))
      throw Error(fmt::format("the checkpoint lacks {} '{}{}' of this network", buffer ? "buffer" : "parameter", prefix, name));
    if (!stored.sizes().equals(ours.sizes()))
      throw Error(fmt::format("'{}{}' is {} in the checkpoint and {} in this network", prefix, name, shape_text(stored),
                              shape_text(ours)));
  };
  for (const auto& p : module.named_parameters(false)) check(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(false)) check(b.key(), b.value(), true);
  for (const auto& c : module.named_children()) {
    expected.push_back(c.key());
    torch::serialize::InputArchive child;
    if (!archive.try_read(c.key(), child))
      throw Error(fmt::format("the checkpoint lacks the layer '{}{}' of this network", prefix, c.key()));
    require_same_layout(child, *c.value(), prefix + c.key() + ".");
  }
  for (const auto& key : archive.keys())
    if (std::find(expected.begin(), expected.end(), key) == expected.end() && holds_tensors(archive, key))
      throw Error(fmt::format("the checkpoint has '{}{}', which this network lacks", prefix, key));
}
// A list of tensors as a child archive of members "0", "1", ... (the EMA, a consistency objective's target network).
void write_tensor_list(torch::serialize::OutputArchive& archive, const std::string& name, const std::vector<at::Tensor>& list) {
  torch::serialize::OutputArchive child;
  for (std::size_t i = 0; i < list.size(); ++i) child.write(std::to_string(i), list[i]);
  archive.write(name, child);
}
// At most `n` of them; none when the archive has no such child.
std::vector<at::Tensor> read_tensor_list(torch::serialize::InputArchive& archive, const std::string& name, std::size_t n) {
  std::vector<at::Tensor> list;
  torch::serialize::InputArchive child;
  if (!archive.try_read(name, child)) return list;
  for (std::size_t i = 0; i < n; ++i) {
    at::Tensor t;
    if (!child.try_read(std::to_string(i), t)) break;
    list.push_back(t.clone());
  }
  return list;
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointState& state, torch::nn::Module& module,
                     torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("step", c10::IValue(state.step));
  archive.write("pipeline", c10::IValue(state.pipeline));
  torch::serialize::OutputArchive net;
  module.save(net);
  archive.write("network", net);
  write_tensor_list(archive, "ema", state.ema);
  if (!state.target.empty()) write_tensor_list(archive, "target", state.target);
  for (std::size_t i = 0; i < state.rng.size(); ++i) archive.write(fmt::format("rng{}", i), state.rng[i]);
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write("optimizer", opt);
    archive.write("elapsed_s", c10::IValue(state.elapsed_s));
    archive.write("loss_sum", c10::IValue(state.loss_sum));
    archive.write("loss_count", c10::IValue(state.loss_count));
  }
  std::ostringstream out;
  archive.save_to(out);
  write_file_atomic(path, out.str());
}

CheckpointFile::CheckpointFile(std::string path)
    : path_(std::move(path)), archive_(std::make_shared<torch::serialize::InputArchive>(read_archive(path_))) {}

CheckpointState CheckpointFile::load(torch::nn::Module* module, torch::optim::Optimizer* optimizer) const {
  torch::serialize::InputArchive& archive = *archive_;
  const std::string& path = path_;
  CheckpointState state;
  state.step = read_entry(archive, "step", &c10::IValue::isInt, path).toInt();
  state.pipeline = read_entry(archive, "pipeline", &c10::IValue::isString, path).toStringRef();
  try {
    c10::IValue v;
    if (module) {
      torch::serialize::InputArchive net;
      archive.read("network", net);
      try {
        require_same_layout(net, *module, "");
      } catch (const Error& e) {
        throw Error(fmt::format("{}: checkpoint does not fit this pipeline's network: {} (was it trained with another "
                                "[network] configuration?)", path, e.what()));
      }
      module->load(net);
      own_storage(*module);
      const std::size_t n = module->parameters().size();
      state.ema = read_tensor_list(archive, "ema", n);
      state.target = read_tensor_list(archive, "target", n);
    }
    for (int i = 0;; ++i) {
      at::Tensor t;
      if (!archive.try_read(fmt::format("rng{}", i), t)) break;
      state.rng.push_back(t.clone());
    }
    if (optimizer) {
      torch::serialize::InputArchive opt;
      if (archive.try_read("optimizer", opt)) optimizer->load(opt), state.has_optimizer = true;
      // absent in checkpoints written before the run's tally was kept: a resumed record then restarts its clock
      if (archive.try_read("elapsed_s", v) && v.isDouble()) state.elapsed_s = v.toDouble();
      if (archive.try_read("loss_sum", v) && v.isDouble()) state.loss_sum = v.toDouble();
      if (archive.try_read("loss_count", v) && v.isInt()) state.loss_count = v.toInt();
    }
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw Error(fmt::format("{}: checkpoint does not fit this pipeline's network ({})", path, msg.substr(0, msg.find('\n'))));
  }
  return state;
}

std::string CheckpointFile::pipeline() const {
  return read_entry(*archive_, "pipeline", &c10::IValue::isString, path_).toStringRef();
}

std::int64_t CheckpointFile::step() const { return read_entry(*archive_, "step", &c10::IValue::isInt, path_).toInt(); }

std::int64_t CheckpointFile::load_ema_weights(torch::nn::Module& module) const {
  CheckpointState st = load(&module, nullptr);
  apply_ema(module, st.ema);
  return st.step;
}

CheckpointState load_checkpoint(const std::string& path, torch::nn::Module* module, torch::optim::Optimizer* optimizer) {
  return CheckpointFile(path).load(module, optimizer);
}

std::string checkpoint_pipeline(const std::string& path) { return CheckpointFile(path).pipeline(); }

std::int64_t checkpoint_step(const std::string& path) { return CheckpointFile(path).step(); }

void apply_ema(torch::nn::Module& module, const std::vector<at::Tensor>& ema) {
  auto params = module.parameters();
  if (ema.empty()) return;
  if (ema.size() != params.size()) throw Error("the checkpoint's EMA weights do not match the network");
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!ema[i].sizes().equals(params[i].sizes()))
      throw Error(fmt::format("the checkpoint's EMA weight {} is {}, the network's parameter {}", i, shape_text(ema[i]),
                              shape_text(params[i])));
  torch::NoGradGuard guard;
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(ema[i]);
}

std::int64_t load_ema_weights(const std::string& path, torch::nn::Module& module) {
  return CheckpointFile(path).load_ema_weights(module);
}

}  // namespace scoregen::engine
