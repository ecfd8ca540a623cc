// Sliced score matching on perturbed data (Song et al. 2019; REFERENCE.md): 1/2|s|^2 + v^T (grad_x s) v,
// the variance-reduced form replacing 1/2 (v^T s)^2 by 1/2 |s|^2; weighted by lambda = sigma^2.
#include <fmt/format.h>
#include <torch/autograd.h>

#include "scoregen/objective.hpp"
#include "scoregen/random.hpp"

namespace scoregen {

using namespace objective_detail;

class SlicedObjective : public Objective {
 public:
  SlicedObjective(std::shared_ptr<Sde> sde, bool vr, bool gaussian, std::int64_t n_probes, bool half_sum)
      : sde_(std::move(sde)), vr_(vr), gaussian_(gaussian), n_probes_(n_probes), half_sum_(half_sum) {}

  at::Tensor loss(Network& network, const Batch& batch, at::Generator gen) override {
    const at::Tensor& x0 = batch.x;
    Perturbed p = perturb(*sde_, x0, gen);
    const at::Tensor &t = p.t, &std = p.std;
    at::Tensor xt = p.xt.detach().requires_grad_(true);
    at::Tensor s = score_of(network, *sde_, xt, t, batch.y);
    const auto b = x0.size(0);
    at::Tensor total = at::zeros({b}, x0.options());
    for (std::int64_t k = 0; k < n_probes_; ++k) {
      at::Tensor v = gaussian_ ? randn_like_from(x0, gen) : rademacher_like_from(x0, gen);
      at::Tensor vs = (v * s).reshape({b, -1}).sum(1);
      // v^T (grad_x s) v by one backward pass of v^T s
      at::Tensor grad = torch::autograd::grad({vs.sum()}, {xt}, {}, true, true)[0];
      at::Tensor jvp = (grad * v).reshape({b, -1}).sum(1);
      // SSM: 1/2 (v^T s)^2 + v^T J v ;  SSM-VR: 1/2 |s|^2 + v^T J v
      at::Tensor first = vr_ ? 0.5 * s.reshape({b, -1}).pow(2).sum(1) : 0.5 * vs.pow(2);
      total = total + first + jvp;
    }
    total = total / static_cast<double>(n_probes_);
    const double dims = static_cast<double>(x0[0].numel());
    // Sum over dimensions by construction; "mean" divides by D so its scale matches dsm's.
    at::Tensor per = half_sum_ ? total : total / dims * 2.0;
    return (per * std.pow(2)).mean();
  }

  std::string describe() const override {
    return fmt::format("{} ({} probes x{}, sigma^2 weighting)", vr_ ? "ssm-vr" : "ssm", gaussian_ ? "Gaussian" : "Rademacher",
                       n_probes_);
  }

 private:
  std::shared_ptr<Sde> sde_;
  bool vr_, gaussian_;
  std::int64_t n_probes_;
  bool half_sum_;
};

std::unique_ptr<Objective> make_sliced_objective(std::shared_ptr<Sde> sde, bool vr, bool gaussian, std::int64_t n_probes,
                                                 bool half_sum) {
  return std::make_unique<SlicedObjective>(std::move(sde), vr, gaussian, n_probes, half_sum);
}

}  // namespace scoregen
