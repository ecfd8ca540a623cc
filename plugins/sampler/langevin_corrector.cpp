// Langevin correctors: snr-scaled Langevin MCMC (seed 001 alg. 4-5; sampling.LangevinCorrector, AnnealedLangevinDynamics).
#include "pc_steps.hpp"

namespace scoregen::plugins {

at::Tensor langevin_alpha(const Sde& sde, const at::Tensor& t) {
  // alpha_i = 1 - beta_i (VP family), 1 (VE)
  if (sde.family() == SdeFamily::VE) return at::ones_like(t);
  return 1.0 - sde.discrete_betas().to(t.options()).index_select(0, sde.timestep(t));
}

namespace {
at::Tensor batch_norm_mean(const at::Tensor& v) { return v.reshape({v.size(0), -1}).norm(2, 1).mean(); }
}  // namespace

class LangevinCorrector : public Corrector {
 public:
  LangevinCorrector(double snr, std::int64_t n) : snr_(snr), n_(n) {}
  Step step(ScoreModel& model, const at::Tensor& x0, const at::Tensor& t, at::Generator& gen) override {
    at::Tensor x = x0, mean = x0;
    at::Tensor alpha = langevin_alpha(model.sde(), t);
    for (std::int64_t k = 0; k < n_; ++k) {
      at::Tensor s = model.score(x, t);
      at::Tensor z = noise_like(x, gen);
      // eps = 2 alpha (snr |z| / |s|)^2, batch-mean L2 norms
      at::Tensor eps = 2.0 * alpha * (snr_ * batch_norm_mean(z) / batch_norm_mean(s)).pow(2);
      eps = batch_view(eps, x);
      mean = x + eps * s;
      x = mean + at::sqrt(2.0 * eps) * z;
    }
    return {x, mean};
  }

 private:
  double snr_;
  std::int64_t n_;
};

class AnnealedLangevinCorrector : public Corrector {
 public:
  AnnealedLangevinCorrector(double snr, std::int64_t n) : snr_(snr), n_(n) {}
  Step step(ScoreModel& model, const at::Tensor& x0, const at::Tensor& t, at::Generator& gen) override {
    at::Tensor x = x0, mean = x0;
    at::Tensor alpha = langevin_alpha(model.sde(), t);
    at::Tensor std = model.sde().marginal_std(t);
    // eps = 2 alpha (snr std(t))^2
    at::Tensor eps = batch_view(2.0 * alpha * (snr_ * std).pow(2), x);
    for (std::int64_t k = 0; k < n_; ++k) {
      mean = x + eps * model.score(x, t);
      x = mean + at::sqrt(2.0 * eps) * noise_like(x, gen);
    }
    return {x, mean};
  }

 private:
  double snr_;
  std::int64_t n_;
};

std::unique_ptr<Corrector> make_langevin(double snr, std::int64_t n) { return std::make_unique<LangevinCorrector>(snr, n); }
std::unique_ptr<Corrector> make_ald(double snr, std::int64_t n) { return std::make_unique<AnnealedLangevinCorrector>(snr, n); }

}  // namespace scoregen::plugins
