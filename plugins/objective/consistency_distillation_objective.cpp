// Consistency distillation (Song et al. 2023, alg. 2): the student's f at x_{n+1} = x + sigma_{n+1} z is pulled to the
// target's f at the teacher's one probability-flow ODE step from sigma_{n+1} to sigma_n (`scoregen distill`).
#include <fmt/format.h>

#include <ATen/ATen.h>

#include "scoregen/consistency.hpp"
#include "scoregen/edm.hpp"
#include "scoregen/network.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/score_model.hpp"

namespace scoregen::plugins {

class ConsistencyDistillationObjective : public Objective {
 public:
  struct Settings : consistency::Settings {
    std::string solver = "heun", teacher;
    Settings() { levels = 18, mu = 0.95; }  // CD on CIFAR-10 (Song et al. 2023, app. C)
  };
  static void declare(Declaration<Settings>& d) {
    consistency::declare_settings(d);
    d(&Settings::solver, "solver",
      "the teacher's ODE step: heun (2 evaluations, EDM's alg. 1 step) or euler (1; DDIM, DPM-Solver++ first order)")
        .one_of({"heun", "euler"});
    d(&Settings::teacher, "teacher", "the trained score model: a checkpoint, or the pipeline of an analytic network "
                                     "(`scoregen distill --teacher` sets it)").reads_file();
  }
  ConsistencyDistillationObjective(const Settings& s, const Options& o, const BuildContext& ctx)
      : sde_(ctx.sde), schedule_(s, o, Settings()), heun_(s.solver == "heun"), teacher_(s.teacher.empty() ? "" : ctx.file(s.teacher)) {
    if (teacher_.empty()) o.fail("teacher", "is required: the trained score model to distil (`scoregen distill --teacher CHECKPOINT`)");
  }

  at::Tensor loss(const Trainee& trainee, const Batch& batch, BatchRandom& rng) override {
    consistency::require_trainee(trainee, "consistency-distillation", true);
    consistency::Pair p = schedule_.draw_pair(*sde_, batch.x, trainee, rng);
    {
      at::NoGradGuard no_grad;
      ScoreModel& teacher = *trainee.teacher;
      if (batch.y.defined()) teacher.set_labels(batch.y);
      at::Tensor s_next = batch_view(p.sigma_next.to(p.x_next.scalar_type()), p.x_next);
      at::Tensor s_n = batch_view(p.sigma_n.to(p.x_next.scalar_type()), p.x_next);
      // dx/dsigma = (x - D(x; sigma)) / sigma, the probability-flow ODE in EDM variables (Karras et al. 2022, eq. 4)
      at::Tensor d = (p.x_next - edm::denoise(teacher, p.x_next, p.sigma_next, p.t_next)) / s_next;
      at::Tensor x_euler = p.x_next + (s_n - s_next) * d;
      if (heun_) {
        // Heun's correction at sigma_n (Karras et al. 2022, alg. 1)
        at::Tensor d2 = (x_euler - edm::denoise(teacher, x_euler, p.sigma_n, p.t_n)) / s_n;
        p.x_n = p.x_next + (s_n - s_next) * 0.5 * (d + d2);
      } else {
        p.x_n = x_euler;
      }
    }
    return schedule_.loss(*trainee.network, *trainee.target, *sde_, p, batch.y);
  }
  double target_decay(std::int64_t step, std::int64_t steps) const override { return schedule_.target_decay(step, steps); }
  std::string teacher() const override { return teacher_; }
  std::string describe() const override {
    return fmt::format("consistency distillation ({} teacher step, {})", heun_ ? "Heun" : "Euler", schedule_.describe());
  }

 private:
  std::shared_ptr<Sde> sde_;
  consistency::Schedule schedule_;
  bool heun_;
  std::string teacher_;
};

SCOREGEN_PLUGIN(Objective, "consistency-distillation",
                "consistency distillation of a consistency network from a trained score model (`scoregen distill "
                "--teacher`)", ConsistencyDistillationObjective);

}  // namespace scoregen::plugins
