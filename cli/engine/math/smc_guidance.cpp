// Sequential Monte Carlo class guidance (docs/formulas.md "Sequential Monte Carlo guidance"): the twisted diffusion
// sampler of Wu et al. 2023 ("Practical and asymptotically exact conditional sampling in diffusion models") with
// the classifier as its twist. Intermediate targets p(x_t) h_t(x_t), h_t = p_t(y | x_t)^w; each unguided Gaussian
// move N(x'; mu(x), v) of the sampler is proposed as N(x'; mu(x) + v grad log h_t(x), v); the final target is
// p(x_0) p(y | x_0)^w, the chain's own marginal times the classifier at the grid's last time.
#include "engine/math/smc_guidance.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/random.hpp"

namespace scoregen::engine {

SmcGuidance::SmcGuidance(const Sde& sde, std::shared_ptr<Guidance> guidance, const at::Tensor& labels, double scale,
                         std::int64_t particles, double ess_threshold, double final_time, at::Generator gen)
    : sde_(sde), guidance_(std::move(guidance)), labels_(labels.repeat_interleave(particles, 0).contiguous()),
      scale_(scale), final_time_(final_time), particles_(labels.size(0), particles, ess_threshold, gen),
      gen_(std::move(gen)) {}

SampleHooks SmcGuidance::hooks() {
  SampleHooks h;
  h.gaussian_draw = [this](const at::Tensor& x, const at::Tensor&, const at::Tensor& mean, const at::Tensor& std,
                           const at::Tensor& t_next) { return draw(x, mean, std, t_next); };
  return h;
}

at::Tensor SmcGuidance::log_twist(const at::Tensor& x, const at::Tensor& t) {
  ++evaluations_;
  at::Tensor logp = at::log_softmax(guidance_->logits(x, t).to(at::kDouble), 1).gather(1, labels_.reshape({-1, 1}));
  return scale_ * logp.squeeze(1);
}

at::Tensor SmcGuidance::draw(const at::Tensor& x, const at::Tensor& mean_in, const at::Tensor& std,
                             const at::Tensor& t_next) {
  if (finished_) throw Error("SMC guidance: a move after the sampler's final state");
  if (x.size(0) != particles_.rows())
    throw Error(fmt::format("SMC guidance: the sampler's batch of {} is not {} groups x {} particles", x.size(0),
                            summary().groups, summary().particles));
  if (!started_) t_ = at::full({x.size(0)}, sde_.T(), x.options());  // the prior's draw is at time T
  // The twist of the current state and its gradient (TDS, Wu et al. 2023, eq. 8: h_t = p_t(y | x_t)^w)
  at::Tensor log_h = log_twist(x, t_);
  ++evaluations_;
  at::Tensor grad = scale_ * guidance_->grad_log_prob(x, t_, labels_).to(at::kDouble);
  // The move that made x was weighed K(x | x_prev) h(x) / (q(x | x_prev) h(x_prev)); the prior's draw: h(x_T)
  particles_.reweight(started_ ? pending_ + log_h : log_h, started_);  // the prior's draw is no move
  started_ = true;
  at::Tensor mean = mean_in.to(at::kDouble);
  at::Tensor v = batch_view(std.to(at::kDouble).pow(2), mean);
  if (at::Tensor rows = particles_.resample(); rows.defined()) {
    rows = rows.to(x.device());
    mean = mean.index_select(0, rows), v = v.index_select(0, rows), grad = grad.index_select(0, rows);
    log_h = log_h.index_select(0, rows);
  }
  // TDS's proposal (Wu et al. 2023, eq. 10): the move's mean shifted by its variance times the twist's gradient
  at::Tensor proposed = mean + v * grad;
  at::Tensor next = proposed + at::sqrt(v) * randn_like_from(proposed, gen_);
  // log K(x' | x) - log q(x' | x) - log h(x): the unguided move against the proposal (equal where a move draws no
  // noise: both are the point mass at the mean)
  at::Tensor ratio = at::where(v > 0, log_normal(next, mean, v) - log_normal(next, proposed, v), at::zeros_like(next));
  pending_ = sum_rows(ratio) - log_h;
  const bool final_state = !t_next.defined();
  if (final_state) {
    // the final state's weight needs h(x_0): the classifier at the grid's last time
    particles_.reweight(pending_ + log_twist(next.to(x.dtype()), at::full_like(t_, final_time_)));
    finished_ = true;
  } else {
    t_ = t_next;
  }
  return next.to(x.dtype());
}

at::Tensor SmcGuidance::select(const at::Tensor& x) {
  if (!finished_) throw Error("SMC guidance: the sampler stopped before its final state");
  return particles_.select(x);
}

}  // namespace scoregen::engine
