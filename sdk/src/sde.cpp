// Default Sde behaviour shared by every SDE plugin (as score_sde_pytorch sde_lib.SDE).
#include "scoregen/sde.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/random.hpp"

namespace scoregen {

at::Tensor batch_view(const at::Tensor& v, const at::Tensor& like) {
  std::vector<std::int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[0] = -1;  // not v.size(0): a traced score then runs on any batch (scoregen export --torchscript)
  return v.reshape(shape);
}

std::pair<at::Tensor, at::Tensor> Sde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  // sde_lib.SDE.discretize: f_i = f(x, t) dt, G_i = g(t) sqrt(dt), dt = T / N.
  const double dt = T() / static_cast<double>(N());
  return {drift(x, t) * dt, diffusion(t) * std::sqrt(dt)};
}

at::Tensor Sde::discrete_sigmas() const { return {}; }
at::Tensor Sde::discrete_betas() const { return {}; }

at::Tensor Sde::langevin_alpha(const at::Tensor& t) const { return at::ones_like(t); }

AncestralStep Sde::ancestral_step(const at::Tensor&, const at::Tensor&, const at::Tensor&) const {
  throw Error("this SDE has no discrete chain to sample ancestrally; use the reverse-diffusion predictor");
}

at::Tensor Sde::prior_sample(at::IntArrayRef shape, at::Generator gen, const at::TensorOptions& options) const {
  return randn_from(shape, gen, options) * prior_std();
}

at::Tensor Sde::prior_logp(const at::Tensor& z) const {
  // log N(z; 0, sigma^2 I) = -D/2 ln(2 pi sigma^2) - |z|^2 / (2 sigma^2), sigma = prior std.
  const double var = prior_std() * prior_std();
  const auto d = static_cast<double>(z[0].numel());
  auto flat = z.reshape({z.size(0), -1});
  return -0.5 * d * std::log(2.0 * M_PI * var) - flat.pow(2).sum(1) / (2.0 * var);
}

at::Tensor Sde::timestep(const at::Tensor& t) const {
  // score_sde_pytorch: timestep = (t * (N - 1) / T).long(), rounded here to be robust to float error.
  return at::round(t * static_cast<double>(N() - 1) / T()).to(at::kLong).clamp(0, N() - 1);
}

}  // namespace scoregen
