// Exact (Hyvarinen 2005) score matching on perturbed data: 1/2 |s|^2 + tr(grad_x s), the trace by D backward
// passes; weighted by lambda = sigma^2.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>

#include "scoregen/error.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class ExactObjective : public Objective {
 public:
  struct Settings {
    std::string reduction = "mean";
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::reduction, "reduction", "per-example loss: divided by D (mean) or as is (half-sum)").one_of({"mean", "half-sum"});
  }
  ExactObjective(const Settings& s, const BuildContext& ctx) : sde_(ctx.sde), half_sum_(s.reduction == "half-sum") {
    std::int64_t dim = 1;
    for (auto d : ctx.data_shape) dim *= d;
    if (dim > 64)
      throw Error(fmt::format("[objective] esm needs one backward pass per dimension; {} dimensions is too many "
                              "(use ssm or dsm)", dim));
  }

  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    const at::Tensor& x0 = batch.x;
    objective::Perturbed p = objective::perturb(*sde_, x0, rng);
    at::Tensor xt = p.xt.detach().requires_grad_(true);
    const auto b = x0.size(0);
    at::Tensor s = objective::score_of(*trainee.network, *sde_, xt, p.t, batch.y).reshape({b, -1});
    const auto d = s.size(1);
    at::Tensor trace = at::zeros({b}, x0.options());
    for (std::int64_t i = 0; i < d; ++i) {
      // d s_i / d x_i, one backward pass per dimension
      at::Tensor g = torch::autograd::grad({s.select(1, i).sum()}, {xt}, {}, true, true)[0].reshape({b, -1});
      trace = trace + g.select(1, i);
    }
    // 1/2 |s|^2 + tr(J); "mean" divides by D like dsm's mean reduction
    at::Tensor per = 0.5 * s.pow(2).sum(1) + trace;
    if (!half_sum_) per = per / static_cast<double>(d) * 2.0;
    return (per * p.std.pow(2)).mean();
  }

  std::string describe() const override { return "esm (exact trace by autograd, sigma^2 weighting)"; }

 private:
  std::shared_ptr<Sde> sde_;
  bool half_sum_;
};

SCOREGEN_PLUGIN(Objective, "esm", "exact score matching, the Jacobian trace by autograd (low dimensions)", ExactObjective);

}  // namespace scoregen::plugins
