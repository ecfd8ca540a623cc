// NFE versus sliced Wasserstein distance for every sampler on the 2-D Gaussian-mixture oracle (10000 samples),
// and each sampler's own time per step beside the oracle network's time per evaluation.
#include <chrono>

#include <fmt/format.h>

#include "engine/math/metrics.hpp"
#include "scoregen/gaussian_mixture.hpp"
#include "support.hpp"

int main() {
  const std::string mix = "weights = [0.5, 0.3, 0.2]\nmeans = [[-4.0, 0.0], [3.0, 3.0], [3.0, -3.0]]\nstds = [0.5, 1.0, 0.3]\n";
  scoregen::GaussianMixture mixture({0.5, 0.3, 0.2}, {{-4.0, 0.0}, {3.0, 3.0}, {3.0, -3.0}}, {0.5, 1.0, 0.3});
  const std::string ve = "plugin = \"ve\"\nsigma_max = 30.0\nN = ", vp = "plugin = \"vp\"\nN = ", subvp = "plugin = \"subvp\"\nN = ";
  struct Case {
    std::string name, sde, sampler;
  };
  std::vector<Case> cases;
  for (const char* n : {"100", "500", "1000"}) {
    cases.push_back({fmt::format("pc reverse-diffusion + langevin (VP, N={})", n), vp + n, "plugin = \"pc\""});
    cases.push_back({fmt::format("pc euler-maruyama (VP, N={})", n), vp + n, "plugin = \"pc\"\npredictor = \"euler-maruyama\"\ncorrector = \"none\""});
    cases.push_back({fmt::format("pc ancestral (VE, N={})", n), ve + n, "plugin = \"pc\"\npredictor = \"ancestral\"\ncorrector = \"none\""});
    cases.push_back({fmt::format("pc reverse-diffusion + ald (sub-VP, N={})", n), subvp + n, "plugin = \"pc\"\ncorrector = \"ald\""});
  }
  cases.push_back({"ode rk45 1e-5 (VP)", vp + "1000", "plugin = \"ode\""});
  cases.push_back({"ode rk45 1e-3 (VP)", vp + "1000", "plugin = \"ode\"\nrtol = 1e-3\natol = 1e-3"});
  for (const char* n : {"10", "25", "50"}) {
    cases.push_back({fmt::format("ode heun {} steps (VP)", n), vp + "1000", std::string("plugin = \"ode\"\nmethod = \"heun\"\nsteps = ") + n});
    cases.push_back({fmt::format("ode rk4 {} steps (VE)", n), ve + "1000", std::string("plugin = \"ode\"\nmethod = \"rk4\"\nsteps = ") + n});
  }
  for (const char* n : {"5", "10", "18", "35"}) {
    cases.push_back({fmt::format("heun-edm {} steps (VP)", n), vp + "1000", std::string("plugin = \"heun-edm\"\nsteps = ") + n});
    cases.push_back({fmt::format("heun-edm {} steps (VE)", n), ve + "1000", std::string("plugin = \"heun-edm\"\nsteps = ") + n});
    cases.push_back({fmt::format("dpm-solver++ {} steps (VP)", n), vp + "1000", std::string("plugin = \"dpm-solver++\"\nsteps = ") + n});
    cases.push_back({fmt::format("dpm-solver++ {} steps (VE)", n), ve + "1000", std::string("plugin = \"dpm-solver++\"\nsteps = ") + n});
    cases.push_back({fmt::format("dpm-solver++ SDE (eta 1) {} steps (VP)", n), vp + "1000",
                     std::string("plugin = \"dpm-solver++\"\neta = 1.0\nsteps = ") + n});
  }
  cases.push_back({"annealed-langevin L=10 x100 (smld 0.05-12)", "plugin = \"smld\"\nsigma_min = 0.05\nsigma_max = 12.0\nL = 10",
                   "plugin = \"annealed-langevin\"\nstep_lr = 5e-4"});
  cases.push_back({"langevin 1000 steps, no annealing", "plugin = \"smld\"\nsigma_min = 0.05\nsigma_max = 12.0\nL = 10",
                   "plugin = \"langevin\"\nstep_size = 5e-4"});
  const std::int64_t n = 10000;
  at::Generator ref_gen = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Tensor exact = mixture.sample(n, ref_gen).first;
  at::Generator g0 = at::make_generator<at::CPUGeneratorImpl>(6);
  const double floor_sw = scoregen::engine::sliced_wasserstein(mixture.sample(n, g0).first, exact, 64, g0);
  fmt::print("Oracle: 3-mode 2-D mixture, {} samples; exact draws score sliced W1 {:.4f} (the noise floor).\n\n", n, floor_sw);
  fmt::print("| sampler | NFE | max weight error | sliced W1 | total ms | network ms/NFE | sampler ms/step |\n|---|---|---|---|---|---|---|\n");
  for (const auto& c : cases) {
    auto a = test::assembly("[sde]\n" + c.sde + "\n[network]\nplugin = \"gaussian-mixture\"\n" + mix + "[sampler]\n" + c.sampler + "\n");
    scoregen::Sampler* sampler = a.sampler.get();
    scoregen::ScoreModel& model = *a.model;
    scoregen::SilentProgress progress;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
    auto start = std::chrono::steady_clock::now();
    at::Tensor x = sampler->sample(model, {n, 2}, gen, progress, {});
    double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // the network's own cost per evaluation, measured alone on the same batch
    at::Tensor t = at::full({n}, 0.5f);
    auto s2 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) model.score(x, t);
    double per_nfe = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s2).count() / 20;
    const std::int64_t nfe = model.nfe() - 20;
    const std::int64_t steps = std::max<std::int64_t>(1, sampler->steps(*a.session.sde) > 0 ? sampler->steps(*a.session.sde) : nfe);
    at::Tensor post = mixture.posterior(x, at::ones({n}, at::kDouble), at::zeros({n}, at::kDouble));
    at::Tensor w = at::bincount(post.argmax(1), {}, 3).to(at::kDouble) / static_cast<double>(n);
    double werr = (w - mixture.weights()).abs().max().item<double>();
    at::Generator sg = at::make_generator<at::CPUGeneratorImpl>(5);
    double sw = scoregen::engine::sliced_wasserstein(x, exact, 64, sg);
    fmt::print("| {} | {} | {:.3f} | {:.4f} | {:.0f} | {:.3f} | {:.3f} |\n", c.name, nfe, werr, sw, total, per_nfe,
               (total - per_nfe * static_cast<double>(nfe)) / static_cast<double>(steps));
  }
}
