// Likelihood by the instantaneous change of variables, latent encoding and spherical interpolation.
#include "engine/math/likelihood.hpp"

#include <chrono>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/autograd.h>
#include <torch/utils.h>

#include "scoregen/error.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/random.hpp"

namespace scoregen::engine {

namespace {
at::Tensor times(const at::Tensor& like, double t) { return at::full({like.size(0)}, t, like.options()); }
}  // namespace

void require_continuous_time(const Sde& sde, const std::string& what) {
  if (sde.is_discrete())
    throw Error(fmt::format("{} integrates the probability-flow ODE, which needs a continuous-time [sde] (ve, vp, subvp); "
                            "the smld ladder and the ddpm chain are defined only on their grid of N times", what));
}

at::Tensor dequantize_8bit(const at::Tensor& x, bool symmetric, at::Generator gen) {
  at::Tensor u8 = at::round((symmetric ? (x + 1) / 2 : x) * 255.0);
  // (x 255 + U) / 256 in [0, 1), then back to the model's scale
  at::Tensor v = (u8 + rand_from(u8.sizes(), gen, u8.options())) / 256.0;
  return symmetric ? v * 2.0 - 1.0 : v;
}

namespace {
// The PF-ODE drift at (x, t) and its divergence: exact (one backward pass per dimension) without probes, else
// Hutchinson's estimate averaged over the probes. [B, D + 1]: the drift flattened, then the divergence.
at::Tensor drift_and_divergence(ScoreModel& model, const at::Tensor& state, const at::IntArrayRef shape, double t,
                                const std::vector<at::Tensor>& probes) {
  const auto b = shape[0];
  const auto d = state.size(1) - 1;
  at::Tensor xt = state.narrow(1, 0, d).reshape(shape).detach().requires_grad_(true);
  at::Tensor drift;
  at::Tensor div = at::zeros({b}, state.options());
  {
    torch::AutoGradMode grad_mode(true);
    drift = model.ode_drift(xt, times(xt, t));
    at::Tensor flat = drift.reshape({b, -1});
    if (probes.empty()) {
      // div f = sum_i d f_i / d x_i, one backward pass per dimension (each may take a while: checked in between)
      for (std::int64_t i = 0; i < d; ++i) {
        throw_if_interrupted();
        at::Tensor g = torch::autograd::grad({flat.select(1, i).sum()}, {xt}, {}, true)[0].reshape({b, -1});
        div = div + g.select(1, i);
      }
    } else {
      // div f ~ eps^T (grad (f . eps)), averaged over the probes (Hutchinson 1989; Grathwohl et al. 2019, eq. 7)
      for (std::size_t k = 0; k < probes.size(); ++k) {
        at::Tensor g = torch::autograd::grad({(drift * probes[k]).sum()}, {xt}, {}, true)[0];
        div = div + (g * probes[k]).reshape({b, -1}).sum(1);
      }
      div = div / static_cast<double>(probes.size());
    }
  }
  return at::cat({drift.detach().reshape({b, -1}), div.detach().unsqueeze(1)}, 1);
}

at::Tensor initial_state(const at::Tensor& x) {
  return at::cat({x.reshape({x.size(0), -1}), at::zeros({x.size(0), 1}, x.options())}, 1);
}
}  // namespace

double exact_divergence_seconds(ScoreModel& model, const at::Tensor& example) {
  require_continuous_time(model.sde(), "the likelihood");
  const auto started = std::chrono::steady_clock::now();
  drift_and_divergence(model, initial_state(example), example.sizes(), model.sde().T(), {});
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

LikelihoodResult log_likelihood(ScoreModel& model, const at::Tensor& x, const LikelihoodOptions& o, at::Generator gen) {
  Sde& sde = model.sde();
  require_continuous_time(sde, "the likelihood");
  const auto d = x[0].numel();
  const bool exact = o.divergence == "exact";
  if (!exact && o.divergence != "rademacher" && o.divergence != "gaussian")
    throw Error(fmt::format("unknown divergence estimator '{}' (rademacher, gaussian, exact)", o.divergence));
  // Hutchinson probes, drawn once per solve (score_sde likelihood.get_likelihood_fn), or given
  std::vector<at::Tensor> probes;
  if (!exact && o.probes.defined()) {
    for (std::int64_t k = 0; k < o.probes.size(0); ++k) probes.push_back(o.probes[k].to(x.device(), x.scalar_type()));
  } else {
    for (std::int64_t k = 0; !exact && k < o.n_probes; ++k)
      probes.push_back(o.divergence == "gaussian" ? randn_like_from(x, gen) : rademacher_like_from(x, gen));
  }
  const auto start_nfe = model.nfe();
  // State [B, D + 1]: the sample and the accumulated divergence.
  auto f = [&](double t, const at::Tensor& state) { return drift_and_divergence(model, state, x.sizes(), t, probes); };
  OdeResult r = solve_rk45(f, initial_state(x), sde.likelihood_eps(), sde.T(), o.rtol, o.atol);
  LikelihoodResult out;
  out.z = r.y.narrow(1, 0, d).reshape(x.sizes());
  out.delta = r.y.select(1, d).to(at::kDouble);
  // log p_0(x) = log p_T(z) + delta logp
  out.logp = sde.prior_logp(out.z.to(at::kDouble)) + out.delta;
  out.nfe = model.nfe() - start_nfe;
  return out;
}

OdeResult encode(ScoreModel& model, const at::Tensor& x, double rtol, double atol) {
  Sde& sde = model.sde();
  require_continuous_time(sde, "encoding");
  auto f = [&](double t, const at::Tensor& y) { return model.ode_drift(y, times(y, t)); };
  return solve_rk45(f, x, sde.likelihood_eps(), sde.T(), rtol, atol);
}

OdeResult decode(ScoreModel& model, const at::Tensor& z, double rtol, double atol) {
  Sde& sde = model.sde();
  require_continuous_time(sde, "decoding");
  auto f = [&](double t, const at::Tensor& y) { return model.ode_drift(y, times(y, t)); };
  return solve_rk45(f, z, sde.T(), sde.likelihood_eps(), rtol, atol);
}

at::Tensor slerp(const at::Tensor& a, const at::Tensor& b, const at::Tensor& w) {
  at::Tensor fa = a.reshape({-1}).to(at::kDouble), fb = b.reshape({-1}).to(at::kDouble);
  double cos = (at::dot(fa, fb) / (fa.norm() * fb.norm())).clamp(-1, 1).item<double>();
  double omega = std::acos(cos), so = std::sin(omega);
  std::vector<at::Tensor> out;
  for (std::int64_t i = 0; i < w.size(0); ++i) {
    double u = w[i].item<double>();
    // slerp(a, b; u) = sin((1-u) w)/sin(w) a + sin(u w)/sin(w) b (linear when a, b are parallel)
    at::Tensor v = so < 1e-8 ? (1 - u) * fa + u * fb : std::sin((1 - u) * omega) / so * fa + std::sin(u * omega) / so * fb;
    out.push_back(v.reshape(a.sizes()).to(a.scalar_type()));
  }
  return at::stack(out);
}

}  // namespace scoregen::engine
