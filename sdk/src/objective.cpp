// Objective selection and the helpers every objective shares.
#include "scoregen/objective.hpp"

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/parameterization.hpp"
#include "scoregen/random.hpp"

namespace scoregen {

Objective::~Objective() = default;

std::unique_ptr<Objective> make_dsm_objective(std::shared_ptr<Sde> sde, bool likelihood, bool half_sum, std::string name);
std::unique_ptr<Objective> make_sliced_objective(std::shared_ptr<Sde> sde, bool variance_reduced, bool gaussian,
                                                 std::int64_t n_probes, bool half_sum);
std::unique_ptr<Objective> make_exact_objective(std::shared_ptr<Sde> sde, bool half_sum);

namespace objective_detail {

at::Tensor sample_times(const Sde& sde, std::int64_t n, at::Generator gen, const at::TensorOptions& opts) {
  if (sde.is_discrete()) {
    // NCSN: sigma index uniform over the ladder; DDPM: t uniform over {1..N} (here the grid i/(N-1)).
    at::Tensor i = at::randint(sde.N(), {n}, gen, at::TensorOptions().dtype(at::kLong));
    return (i.to(at::kDouble) * (sde.T() / static_cast<double>(sde.N() - 1))).to(opts);  // t_i = i T / (N - 1)
  }
  // t ~ U(eps, T) (score_sde losses.get_sde_loss_fn)
  at::Tensor u = rand_from({n}, gen, at::TensorOptions().dtype(at::kDouble));
  return (u * (sde.T() - sde.train_eps()) + sde.train_eps()).to(opts);
}

Perturbed perturb(const Sde& sde, const at::Tensor& x0, at::Generator gen) {
  Perturbed p;
  p.t = sample_times(sde, x0.size(0), gen, x0.options());
  p.z = randn_like_from(x0, gen);
  p.std = sde.marginal_std(p.t);
  // x_t = a(t) x0 + std(t) z (the perturbation kernel, seed 001 eq. 29, 33)
  p.xt = batch_view(sde.mean_coeff(p.t), x0) * x0 + batch_view(p.std, x0) * p.z;
  return p;
}

at::Tensor reduce(const at::Tensor& per_dim, bool half_sum) {
  at::Tensor flat = per_dim.reshape({per_dim.size(0), -1});
  return half_sum ? 0.5 * flat.sum(1) : flat.mean(1);
}

at::Tensor score_of(Network& network, Sde& sde, const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) {
  return to_score(network.predicts(), network.forward(x, t, y), x, sde.mean_coeff(t), sde.marginal_std(t));
}

}  // namespace objective_detail

std::unique_ptr<Objective> make_objective(const Options& train, std::shared_ptr<Sde> sde, std::int64_t data_dim) {
  const std::string name = train.string("objective");
  const bool half_sum = train.string("reduction") == "half-sum";
  const bool likelihood = train.string("weighting") == "likelihood";
  if (train.integer("n_probes") < 1) train.fail("n_probes", "must be >= 1");
  if (name == "dsm") return make_dsm_objective(sde, likelihood, half_sum, "dsm");
  if (name == "ncsn") {
    // NCSN annealed DSM: sigma uniform over the ladder, 1/2 |sigma s + z|^2 summed over dimensions.
    if (sde->family() != SdeFamily::VE || !sde->is_discrete())
      train.fail("objective", "ncsn trains over the SMLD ladder: use [sde] plugin = \"smld\"");
    return make_dsm_objective(sde, false, true, "ncsn");
  }
  if (name == "ddpm") {
    // DDPM L_simple = |eps_hat - eps|^2 mean, which is DSM with lambda = sigma^2 and mean reduction on the chain.
    if (sde->family() != SdeFamily::VP || !sde->is_discrete())
      train.fail("objective", "ddpm trains the discrete VP chain: use [sde] plugin = \"ddpm\"");
    return make_dsm_objective(sde, false, false, "ddpm");
  }
  if (name == "ssm" || name == "ssm-vr")
    return make_sliced_objective(sde, name == "ssm-vr", train.string("probe") == "gaussian", train.integer("n_probes"),
                                 half_sum);
  if (name == "esm") {
    if (data_dim > 64)
      train.fail("objective", fmt::format("esm needs one backward pass per dimension; {} dimensions is too many "
                                          "(use ssm or dsm)", data_dim));
    return make_exact_objective(sde, half_sum);
  }
  train.fail("objective", fmt::format("unknown objective '{}'", name));
}

}  // namespace scoregen
