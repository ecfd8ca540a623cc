// Sequential Monte Carlo for noiseless observations of a part of x (docs/formulas.md "Sequential Monte Carlo
// inpainting"). Proposal: each Gaussian move N(x'; mu(x), v) of the sampler times the potential g_t'(x') =
// N(x' m; a(t') y, s(t')^2) of the known part noised to t' (Cardoso et al. 2024, "Monte Carlo guided diffusion for
// Bayesian linear inverse problems", MCGdiff, noiseless case). Intermediate targets: p(x_t) h_t(x_t), twisted by
// the denoised known part, h_t(x) = N(y; E[x_0 | x] m, r_t^2) (Wu et al. 2023, the twisted diffusion sampler), so that
// resampling favours particles whose unknown part agrees with y early; final target p(x_0) delta(x_0 m - y), the
// model's own conditional, whatever the potentials.
#include "engine/smc_inpainting.hpp"

#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "engine/inpainting.hpp"
#include "scoregen/error.hpp"
#include "scoregen/random.hpp"

namespace scoregen::engine {

SmcInpainting::SmcInpainting(const Sde& sde, const at::Tensor& known, const at::Tensor& mask, bool colorize,
                             std::int64_t particles, double ess_threshold, at::Generator gen)
    : sde_(sde), colorize_(colorize), particles_(known.size(0), particles, ess_threshold, gen), gen_(std::move(gen)) {
  // [G or 1, ...] -> [G K, ...]: each group's row once per particle
  auto per_particle = [&](const at::Tensor& v) {
    return v.to(at::kDouble).expand_as(known).repeat_interleave(particles, 0).contiguous();
  };
  y_ = per_particle(to_space(known.to(at::kDouble)));
  mask_ = per_particle(mask);
}

at::Tensor SmcInpainting::to_space(const at::Tensor& x) const { return colorize_ ? decouple(x) : x; }
at::Tensor SmcInpainting::from_space(const at::Tensor& x) const { return colorize_ ? couple(x) : x; }

SampleHooks SmcInpainting::hooks() {
  SampleHooks h;
  h.gaussian_draw = [this](const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean, const at::Tensor& std,
                           const at::Tensor& t_next) { return draw(x, score, mean, std, t_next); };
  return h;
}

at::Tensor SmcInpainting::draw(const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean_in,
                               const at::Tensor& std, const at::Tensor& t_next) {
  if (finished_) throw Error("SMC inpainting: a move after the sampler's final state");
  if (x.size(0) != y_.size(0))
    throw Error(fmt::format("SMC inpainting: the sampler's batch of {} is not {} groups x {} particles", x.size(0),
                            summary().groups, summary().particles));
  at::Tensor m = to_space(mean_in.to(at::kDouble)), xs = to_space(x.to(at::kDouble));
  at::Tensor v = batch_view(std.to(at::kDouble).pow(2), m);
  if (!started_) {  // the prior's draw is at time T
    at::Tensor t = at::full({x.size(0)}, sde_.T(), x.options());
    a_ = batch_view(sde_.mean_coeff(t).to(at::kDouble), m), var_ = batch_view(sde_.marginal_std(t).to(at::kDouble).pow(2), m);
  }
  // The twist of the current state: h(x) = N(y; E[x_0 | x] m, r^2) with Tweedie's E[x_0 | x] = (x + s^2 score) / a
  // and r^2 = s^2 / (a^2 + s^2) (Wu et al. 2023, TDS; the variance of Pi-GDM, Song et al. 2023)
  at::Tensor denoised = (xs + var_ * to_space(score.to(at::kDouble))) / a_;
  at::Tensor log_h = sum_rows(mask_ * log_normal(y_, denoised, var_ / (a_ * a_ + var_)));
  // The move that made x: K(x | x_prev) h(x) / (h(x_prev) q(x | x_prev)) = Z(x_prev) h(x) / (h(x_prev) g(x)), where
  // the proposal q took the product of the move with g; the prior's draw: h(x_T).
  at::Tensor log_w = started_ ? pending_ + log_h - sum_rows(mask_ * log_normal(xs, a_ * y_, var_)) : log_h;
  const bool final_state = !t_next.defined();
  // The next potential g: N(x' m; a' y, var'), var' = s(t')^2; the data itself (a' = 1, var' = 0) at the end.
  at::Tensor a_next, var_next;
  if (final_state) {
    a_next = at::ones_like(v), var_next = at::zeros_like(v);
  } else {
    a_next = batch_view(sde_.mean_coeff(t_next).to(at::kDouble), m);
    var_next = batch_view(sde_.marginal_std(t_next).to(at::kDouble).pow(2), m);
    // at least the move's own variance: the pc grid's last steps add more noise than s(t)^2 leaves, and a narrower
    // potential there would make the final move's weights heavy-tailed
    var_next = at::maximum(var_next, v);
  }
  at::Tensor spread = v + var_next;  // the predictive variance of the known part
  if (!(spread > 0).all().item<bool>())
    throw Error("SMC inpainting: a final move without noise cannot meet the known part (use a predictor whose last "
                "step draws noise)");
  at::Tensor target = a_next * y_;
  // Z(x) = N(a' y; mu(x) m, v + var') over the known coordinates (MCGdiff, noiseless case)
  at::Tensor log_z = sum_rows(mask_ * log_normal(target, m, spread)) - log_h;
  // the final move's weight Z(x) / h(x) is known now (its potential is the data itself)
  if (final_state) log_w = log_w + log_z;
  particles_.reweight(log_w);
  started_ = true;
  if (at::Tensor rows = particles_.resample(); rows.defined()) {
    rows = rows.to(m.device());
    m = m.index_select(0, rows), v = v.index_select(0, rows), log_z = log_z.index_select(0, rows);
  }
  pending_ = log_z;

  // The proposal N(mu, v) N(a' y, var') on the known part: mean (mu var' + a' y v) / (v + var'), variance
  // v var' / (v + var'); the unknown part moves by the sampler's own kernel N(mu, v).
  at::Tensor z = randn_like_from(m, gen_);
  at::Tensor known_part = (m * var_next + target * v) / spread + at::sqrt(v * var_next / spread) * z;
  at::Tensor free_part = m + at::sqrt(v) * z;
  at::Tensor next = mask_ * known_part + (1 - mask_) * free_part;
  a_ = a_next, var_ = var_next;
  finished_ = final_state;
  return from_space(next).to(x.dtype());
}

at::Tensor SmcInpainting::select(const at::Tensor& x) {
  if (!finished_) throw Error("SMC inpainting: the sampler stopped before its final state");
  return particles_.select(x);
}

}  // namespace scoregen::engine
