// Sequential Monte Carlo for noiseless observations y = x m of a part of x (docs/formulas.md "Sequential Monte Carlo
// inpainting"). The filter is MCGdiff's (Cardoso et al. 2024, "Monte Carlo guided diffusion for Bayesian linear
// inverse problems", noiseless case): each Gaussian move K(x' | x) = N(x'; mu(x), v) of the sampler is proposed as
// K(x' | x) g(x') / Z(x) and the particle is weighed Z(x) / g_prev(x) before it moves, one family of potentials for
// both. MCGdiff's potential is the known part noised forward, N(x' m; a' y, s'^2), whatever the particle; here it is
// p(y | x') under the model's own Gaussian law of the known part at the particle: Tweedie's mean and the
// second-order Tweedie covariance (Efron 2011; Meng et al. 2021, "Estimating high order gradients of the data
// distribution by denoising") give a local prior N(mu, sigma^2) of x_0 m, and p(y | x') follows in closed form, its
// scale N(y; mu, sigma^2) included: a particle in a mode that explains y well gains weight as soon as it is in it.
// The final potential is the known part itself, so the final target is p(x_0) delta(x_0 m - y) under the model's own
// chain, whatever the potentials.
#include "engine/math/smc_inpainting.hpp"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>

#include "engine/math/inpainting.hpp"
#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/random.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::engine {

namespace {
// The shrinkage k = a dx0/dx of the known part stays inside (0, 1): 0, the model certain of x_0 m; 1, no information.
constexpr double kShrinkMargin = 1e-6;
// Up to this many known values per example the Jacobian's diagonal is computed exactly (a backward pass each).
constexpr std::int64_t kExactDiagonal = 8;
}  // namespace

SmcInpainting::SmcInpainting(ScoreModel& model, const at::Tensor& known, const at::Tensor& mask, bool colorize,
                             std::int64_t particles, double ess_threshold, at::Generator gen)
    : model_(model), colorize_(colorize), particles_(known.size(0), particles, ess_threshold, gen), gen_(std::move(gen)) {
  // [G or 1, ...] -> [G K, ...]: each group's row once per particle
  auto per_particle = [&](const at::Tensor& v) {
    return v.to(at::kDouble).expand_as(known).repeat_interleave(particles, 0).contiguous();
  };
  y_ = per_particle(to_space(known.to(at::kDouble)));
  mask_ = per_particle(mask);
  if (!(sum_rows(mask_) > 0).all().item<bool>()) throw Error("SMC inpainting: a mask with no known value");
}

at::Tensor SmcInpainting::to_space(const at::Tensor& x) const { return colorize_ ? decouple(x) : x; }
at::Tensor SmcInpainting::from_space(const at::Tensor& x) const { return colorize_ ? couple(x) : x; }

SampleHooks SmcInpainting::hooks() {
  SampleHooks h;
  h.gaussian_draw = [this](const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean, const at::Tensor& std,
                           const at::Tensor& t_next) { return draw(x, score, mean, std, t_next); };
  return h;
}

at::Tensor SmcInpainting::known_jacobian_diagonal(const at::Tensor& x) {
  at::AutoGradMode grad_on(true);
  at::Tensor xr = x.detach().requires_grad_(true);
  at::Tensor score = model_.score(xr, t_);
  // u^T J u for a probe u in the observation's space (J symmetric: a Hessian), one backward pass each
  auto quadratic = [&](const at::Tensor& u, bool last) {
    at::Tensor ju = torch::autograd::grad({(score * from_space(u).to(score.dtype())).sum()}, {xr}, {}, !last)[0];
    return sum_rows(u * to_space(ju.detach().to(at::kDouble)));
  };
  const at::Tensor flat = mask_.reshape({mask_.size(0), -1});
  const at::Tensor counts = flat.sum(1);
  const auto most = static_cast<std::int64_t>(counts.max().item<double>());
  if (most > kExactDiagonal) {
    // Hutchinson's estimator of tr(J_known) / d with one Rademacher probe: the same shrinkage on every known value
    at::Tensor u = mask_ * rademacher_like_from(mask_, gen_);
    return batch_view(quadratic(u, true) / counts, mask_).expand_as(mask_);
  }
  // few known values: the diagonal exactly, one probe e_j per known coordinate
  at::Tensor order = std::get<1>(at::sort(-flat, 1));  // known coordinates first
  at::Tensor diagonal = at::zeros_like(flat);
  for (std::int64_t j = 0; j < most; ++j) {
    throw_if_interrupted();  // up to kExactDiagonal backward passes per move
    at::Tensor where = order.select(1, j).unsqueeze(1);
    at::Tensor probe = at::zeros_like(flat).scatter_(1, where, 1.0) * flat;
    diagonal.scatter_(1, where, (quadratic(probe.view_as(mask_), j + 1 == most) * probe.gather(1, where).squeeze(1)).unsqueeze(1));
  }
  return diagonal.view_as(mask_);
}

at::Tensor SmcInpainting::log_potential(const at::Tensor& xs) const {
  return sum_rows(mask_ * (log_scale_ + log_normal(xs, centre_, var_)));
}

at::Tensor SmcInpainting::draw(const at::Tensor& x, const at::Tensor& score, const at::Tensor& mean_in,
                               const at::Tensor& std, const at::Tensor& t_next) {
  if (finished_) throw Error("SMC inpainting: a move after the sampler's final state");
  if (x.size(0) != y_.size(0))
    throw Error(fmt::format("SMC inpainting: the sampler's batch of {} is not {} groups x {} particles", x.size(0),
                            summary().groups, summary().particles));
  const Sde& sde = model_.sde();
  at::Tensor m = to_space(mean_in.to(at::kDouble)), xs = to_space(x.to(at::kDouble));
  at::Tensor v = batch_view(std.to(at::kDouble).pow(2), m);
  if (!started_) t_ = at::full({x.size(0)}, sde.T(), x.options());  // the prior's draw is at time T
  at::Tensor a = batch_view(sde.mean_coeff(t_).to(at::kDouble), m), s2 = batch_view(sde.marginal_std(t_).to(at::kDouble).pow(2), m);
  // Tweedie's mean of x_0 given x, and the shrinkage k = 1 + s^2 J_jj = a^2 Var[x_0 j | x] / s^2 of each known value
  // (the second-order Tweedie formula; J_jj the Jacobian's diagonal, or its mean over many known values)
  at::Tensor x0 = (xs + s2 * to_space(score.to(at::kDouble))) / a;
  at::Tensor k = (1 + s2 * known_jacobian_diagonal(x)).clamp(kShrinkMargin, 1 - kShrinkMargin);
  // the Gaussian prior N(mu, sigma^2) of x_0 m whose posterior given x has that mean and covariance:
  // k = a^2 sigma^2 / (a^2 sigma^2 + s^2), x0 = mu + (k / a) (x - a mu)
  at::Tensor sigma2 = k * s2 / (a * a * (1 - k)), mu = (x0 - k * xs / a) / (1 - k);
  const bool final_state = !t_next.defined();
  // The next potential g(x') = p(y | x') under that prior, a Gaussian N(x' m; centre, var) times a scale; at the
  // final state the known part itself (var = 0)
  at::Tensor centre, var, log_scale;
  if (final_state) {
    centre = y_, var = at::zeros_like(v), log_scale = at::zeros_like(v);
  } else {
    at::Tensor a1 = batch_view(sde.mean_coeff(t_next).to(at::kDouble), m);
    at::Tensor s21 = batch_view(sde.marginal_std(t_next).to(at::kDouble).pow(2), m);
    // p(y | x') = N(x'; a' y, s'^2) N(y; mu, sigma^2) / N(x'; a' mu, a'^2 sigma^2 + s'^2) (Bayes), as a function of
    // x': N(x'; a' y + s'^2 (y - mu) / (a' sigma^2), s'^2 (1 + s'^2 / (a'^2 sigma^2)))
    centre = a1 * y_ + s21 * (y_ - mu) / (a1 * sigma2);
    const at::Tensor exact_var = s21 * (1 + s21 / (a1 * a1 * sigma2));
    log_scale = log_normal(centre, a1 * y_, s21) + log_normal(y_, mu, sigma2) -
                log_normal(centre, a1 * mu, a1 * a1 * sigma2 + s21) + 0.5 * at::log(2 * M_PI * exact_var);
    // no narrower than the move itself: the pc grid's last steps add more noise than s(t')^2, and a narrower
    // potential there would make the next weights heavy-tailed
    var = at::maximum(exact_var, v);
  }
  at::Tensor spread = v + var;
  if (!(spread > 0).all().item<bool>())
    throw Error("SMC inpainting: a final move without noise cannot meet the known part (use a predictor whose last "
                "step draws noise)");
  // Z(x) = int N(x'; mu(x), v) g(x') dx' over the known part; x's weight Z(x) / g_prev(x) (MCGdiff, fully adapted);
  // the prior's draw has no potential before it
  at::Tensor log_z = sum_rows(mask_ * (log_scale + log_normal(centre, m, spread)));
  particles_.reweight(started_ ? log_z - log_potential(xs) : log_z);
  started_ = true;
  if (at::Tensor rows = particles_.resample(); rows.defined()) {
    rows = rows.to(m.device());
    m = m.index_select(0, rows), v = v.index_select(0, rows), spread = spread.index_select(0, rows);
    centre = centre.index_select(0, rows), var = var.index_select(0, rows), log_scale = log_scale.index_select(0, rows);
  }
  // The proposal N(mu, v) g on the known part: mean (mu var + centre v) / (v + var), variance v var / (v + var);
  // the unknown part moves by the sampler's own kernel N(mu, v).
  at::Tensor z = randn_like_from(m, gen_);
  at::Tensor known_part = (m * var + centre * v) / spread + at::sqrt(v * var / spread) * z;
  at::Tensor free_part = m + at::sqrt(v) * z;
  at::Tensor next = mask_ * known_part + (1 - mask_) * free_part;
  centre_ = centre, var_ = var, log_scale_ = log_scale;
  finished_ = final_state;
  if (!final_state) t_ = t_next;
  return from_space(next).to(x.dtype());
}

at::Tensor SmcInpainting::select(const at::Tensor& x) {
  if (!finished_) throw Error("SMC inpainting: the sampler stopped before its final state");
  return particles_.select(x);
}

}  // namespace scoregen::engine
