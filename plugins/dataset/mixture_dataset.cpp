// Toy data: exact draws from an isotropic Gaussian mixture, labelled by component.
#include <ATen/ATen.h>

#include "scoregen/dataset.hpp"
#include "scoregen/gaussian_mixture.hpp"

namespace scoregen::plugins {

class MixtureDataset : public Dataset {
 public:
  struct Settings : MixtureSettings {
    Settings() : MixtureSettings{{0.2, 0.8}, {{-5.0, -5.0}, {5.0, 5.0}}, {1.0, 1.0}} {}
  };
  static void declare(Declaration<Settings>& d) { declare_mixture(d, false); }
  MixtureDataset(const Settings& s, const Options& o, const BuildContext&) : mixture_(s, o) {}
  std::vector<std::int64_t> shape() const override { return {mixture_.dim()}; }
  std::int64_t size() const override { return 0; }
  std::int64_t num_classes() const override { return mixture_.components(); }
  std::pair<double, double> range() const override {
    at::Tensor spread = 4.0 * mixture_.stds().max();
    return {(mixture_.means().min() - spread).item<double>(), (mixture_.means().max() + spread).item<double>()};
  }
  at::Tensor assign(const at::Tensor& x) const override {
    at::Tensor x64 = x.to(at::kDouble).reshape({x.size(0), -1});
    at::Tensor one = at::ones({x.size(0)}, x64.options()), zero = at::zeros({x.size(0)}, x64.options());
    return mixture_.posterior(x64, one, zero).argmax(1);  // at t = 0: a = 1, std = 0
  }
  std::vector<double> class_weights() const override {
    at::Tensor w = mixture_.weights().contiguous();
    return {w.data_ptr<double>(), w.data_ptr<double>() + w.numel()};
  }
  at::Tensor exact_log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const override {
    return mixture_.log_prob(x, a, std);
  }
  at::Tensor exact_score(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const override {
    return mixture_.score(x, a, std);
  }
  Batch sample(BatchRandom& rng) override {
    auto [x, k] = mixture_.sample(rng);
    return {x, k};
  }

 private:
  GaussianMixture mixture_;
};

SCOREGEN_PLUGIN(Dataset, "mixture", "draws from an isotropic Gaussian mixture (labels: the component)", MixtureDataset);

}  // namespace scoregen::plugins
