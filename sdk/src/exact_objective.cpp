// Exact (Hyvarinen) score matching on perturbed data: 1/2 |s|^2 + tr(grad_x s), the trace by D backward passes.
#include <torch/autograd.h>

#include "scoregen/objective.hpp"

namespace scoregen {

using namespace objective_detail;

class ExactObjective : public Objective {
 public:
  ExactObjective(std::shared_ptr<Sde> sde, bool half_sum) : sde_(std::move(sde)), half_sum_(half_sum) {}

  at::Tensor loss(Network& network, const Batch& batch, at::Generator gen) override {
    const at::Tensor& x0 = batch.x;
    Perturbed p = perturb(*sde_, x0, gen);
    const at::Tensor &t = p.t, &std = p.std;
    at::Tensor xt = p.xt.detach().requires_grad_(true);
    const auto b = x0.size(0);
    at::Tensor s = score_of(network, *sde_, xt, t, batch.y).reshape({b, -1});
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
    return (per * std.pow(2)).mean();
  }

  std::string describe() const override { return "esm (exact trace by autograd, sigma^2 weighting)"; }

 private:
  std::shared_ptr<Sde> sde_;
  bool half_sum_;
};

std::unique_ptr<Objective> make_exact_objective(std::shared_ptr<Sde> sde, bool half_sum) {
  return std::make_unique<ExactObjective>(std::move(sde), half_sum);
}

}  // namespace scoregen
