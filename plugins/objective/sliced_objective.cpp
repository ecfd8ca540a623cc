// Sliced score matching on perturbed data (Song et al. 2019, sec. 3): 1/2 (v^T s)^2 + v^T (grad_x s) v, and its
// variance-reduced form with 1/2 |s|^2; weighted by lambda = sigma^2.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>

#include "scoregen/objective.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

template <bool VarianceReduced>
class SlicedObjective : public Objective {
 public:
  struct Settings {
    std::string probe = "rademacher", reduction = "mean";
    std::int64_t n_probes = 1;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::probe, "probe", "probe distribution").one_of({"rademacher", "gaussian"});
    d(&Settings::n_probes, "n_probes", "probes per example").at_least(1);
    d(&Settings::reduction, "reduction", "per-example loss: divided by D (mean) or as is (half-sum)").one_of({"mean", "half-sum"});
  }
  SlicedObjective(const Settings& s, const BuildContext& ctx)
      : sde_(ctx.sde), gaussian_(s.probe == "gaussian"), n_probes_(s.n_probes), half_sum_(s.reduction == "half-sum") {}

  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    const at::Tensor& x0 = batch.x;
    objective::Perturbed p = objective::perturb(*sde_, x0, rng);
    at::Tensor xt = p.xt.detach().requires_grad_(true);
    at::Tensor s = objective::score_of(*trainee.network, *sde_, xt, p.t, batch.y);
    const auto b = x0.size(0);
    at::Tensor total = at::zeros({b}, x0.options());
    for (std::int64_t k = 0; k < n_probes_; ++k) {
      at::Tensor v = gaussian_ ? rng.normal_like(x0) : rng.rademacher_like(x0);
      at::Tensor vs = (v * s).reshape({b, -1}).sum(1);
      // v^T (grad_x s) v by one backward pass of v^T s
      at::Tensor grad = torch::autograd::grad({vs.sum()}, {xt}, {}, true, true)[0];
      at::Tensor jvp = (grad * v).reshape({b, -1}).sum(1);
      // SSM: 1/2 (v^T s)^2 + v^T J v ;  SSM-VR: 1/2 |s|^2 + v^T J v
      at::Tensor first = VarianceReduced ? 0.5 * s.reshape({b, -1}).pow(2).sum(1) : 0.5 * vs.pow(2);
      total = total + first + jvp;
    }
    total = total / static_cast<double>(n_probes_);
    const double dims = static_cast<double>(x0[0].numel());
    // Sum over dimensions by construction; "mean" divides by D so its scale matches dsm's.
    at::Tensor per = half_sum_ ? total : total / dims * 2.0;
    return (per * p.std.pow(2)).mean();
  }

  std::string describe() const override {
    return fmt::format("{} ({} probes x{}, sigma^2 weighting)", VarianceReduced ? "ssm-vr" : "ssm",
                       gaussian_ ? "Gaussian" : "Rademacher", n_probes_);
  }

 private:
  std::shared_ptr<Sde> sde_;
  bool gaussian_;
  std::int64_t n_probes_;
  bool half_sum_;
};

using SsmObjective = SlicedObjective<false>;
using SsmVrObjective = SlicedObjective<true>;
SCOREGEN_PLUGIN(Objective, "ssm", "sliced score matching, 1/2 (v^T s)^2 + v^T J v", SsmObjective);
SCOREGEN_PLUGIN(Objective, "ssm-vr", "sliced score matching, variance reduced: 1/2 |s|^2 + v^T J v", SsmVrObjective);

}  // namespace scoregen::plugins
