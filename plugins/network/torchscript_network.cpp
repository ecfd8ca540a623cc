// A user's TorchScript module (torch.jit.save from Python) as a score network: forward(x, time[, labels]).
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/script.h>

#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class TorchScriptNetwork : public Network {
 public:
  struct Settings {
    std::string file, predicts = "score", time_input = "t";
    bool pass_labels = false;
    std::vector<std::int64_t> shape;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::file, "file", "the .pt file written by torch.jit.save (relative: from the pipeline's folder)")
        .required()
        .reads_file();
    d(&Settings::predicts, "predicts", "what the module outputs").one_of({"score", "noise", "data"});
    d(&Settings::time_input, "time_input", "what the module takes as time: t, 999 t, sigma(t) or log sigma(t)")
        .one_of({"t", "999t", "sigma", "log_sigma"});
    d(&Settings::pass_labels, "pass_labels", "pass class labels as a third argument");
    d(&Settings::shape, "shape", "shape of one example, e.g. [1, 28, 28] (empty: taken from [data])").at_least(1);
  }
  TorchScriptNetwork(const Settings& s, const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), predicts_(parse_prediction(s.predicts)), time_input_(s.time_input), pass_labels_(s.pass_labels),
        shape_(s.shape) {
    // a relative file is read from the pipeline's folder, not from wherever the command runs
    const std::string file = ctx.file(s.file);
    if (!std::filesystem::is_regular_file(file)) o.fail("file", fmt::format("{}: no such file", file));
    try {
      module_ = torch::jit::load(file);
    } catch (const c10::Error& e) {
      std::string msg = e.what_without_backtrace();
      o.fail("file", fmt::format("{}: not a TorchScript module ({})", file, msg.substr(0, msg.find('\n'))));
    }
    module_.eval();
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override {
    at::Tensor tf = t.to(x.scalar_type());
    at::Tensor time;
    if (time_input_ == "t") time = tf;
    else if (time_input_ == "999t") time = tf * 999.0;  // DDPM's integer-step convention, as a float
    else if (time_input_ == "sigma") time = sde_->marginal_std(tf);
    else time = at::log(sde_->marginal_std(tf));
    std::vector<c10::IValue> inputs{x, time};
    if (pass_labels_) inputs.emplace_back(y);
    try {
      return module_.forward(inputs).toTensor();
    } catch (const c10::Error& e) {
      std::string msg = e.what_without_backtrace();
      throw Error(fmt::format("the TorchScript module failed on input of shape [{}]: {}", fmt::join(x.sizes(), ", "),
                              msg.substr(0, msg.find('\n'))));
    }
  }
  Prediction predicts() const override { return predicts_; }
  bool class_conditional() const override { return pass_labels_; }
  std::vector<std::int64_t> example_shape() const override { return shape_; }
  bool trainable() const override { return false; }
  void to(torch::Device device, bool non_blocking) override {
    module_.to(device, non_blocking);
    Network::to(device, non_blocking);
  }

 private:
  std::shared_ptr<Sde> sde_;
  Prediction predicts_;
  std::string time_input_;
  bool pass_labels_;
  std::vector<std::int64_t> shape_;
  torch::jit::Module module_;
};

SCOREGEN_PLUGIN(Network, "torchscript", "a TorchScript module from Python (torch.jit.save), called as forward(x, time)",
                TorchScriptNetwork);

}  // namespace scoregen::plugins
