// The `train` command: what the Trainer learns, where its run lives, and what it records.
#include "engine/tasks/training_run.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>

#include "engine/host/assemble.hpp"
#include "engine/host/command_settings.hpp"
#include "engine/host/memory_budget.hpp"
#include "engine/host/run_lock.hpp"
#include "engine/io/checkpoint.hpp"
#include "engine/io/files.hpp"
#include "engine/io/progress_bar.hpp"
#include "engine/math/trainer.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/score_model.hpp"

namespace fs = std::filesystem;

namespace scoregen::engine {

namespace {

// Keeps metrics.jsonl consistent with a resumed checkpoint: lines past its step are dropped.
void truncate_metrics(const std::string& path, std::int64_t step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    auto p = line.find("\"step\": ");
    if (p != std::string::npos && std::strtoll(line.c_str() + p + 8, nullptr, 10) > step) continue;
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

// A run that fails before its first checkpoint leaves nothing behind: the folder if it made it, else the files it added
// (.lock, pipeline.toml, metrics.jsonl, samples/). Once a checkpoint exists, everything stays for the resume.
class UnfinishedRunCleanup {
 public:
  UnfinishedRunCleanup(std::string run, std::string checkpoint) : run_(std::move(run)), checkpoint_(std::move(checkpoint)) {
    std::error_code ec;
    created_ = !fs::exists(run_, ec);
    for (const char* name : {".lock", "pipeline.toml", "metrics.jsonl", "samples"})
      if (!created_ && !fs::exists(fs::path(run_) / name, ec)) added_.emplace_back(name);
  }
  // Called once this process holds the run's lock: a process refused by the lock touches nothing.
  void arm() { armed_ = true; }
  ~UnfinishedRunCleanup() {
    std::error_code ec;
    if (!armed_ || fs::exists(checkpoint_, ec)) return;
    if (created_) fs::remove_all(run_, ec);
    for (const std::string& name : added_) fs::remove_all(fs::path(run_) / name, ec);
  }
  UnfinishedRunCleanup(const UnfinishedRunCleanup&) = delete;
  UnfinishedRunCleanup& operator=(const UnfinishedRunCleanup&) = delete;

 private:
  std::string run_, checkpoint_;
  bool created_ = false, armed_ = false;
  std::vector<std::string> added_;
};

// The trainee an objective asks for: the [network], or the [guidance] classifier; with a consistency objective also
// the target network, a second instance of the [network].
struct Trainable {
  std::shared_ptr<Component> owner;
  std::shared_ptr<Network> target;
  torch::nn::Module* module = nullptr;
  Trainee trainee;
  std::string name;
};

// A step's memory grows with the batch through the activations its backward pass keeps, which no declaration
// tells. One trial step at a few examples measures the bytes per example, so that a batch that cannot fit is refused
// here in one line, not ended by the kernel's OOM killer mid-run. Each rank measures its share; all refuse together.
void require_step_memory(Trainer& trainer, const TrainSettings& settings, const Session& s) {
  constexpr std::int64_t kProbe = 32;
  const ProcessGroup& group = *s.group;
  const std::int64_t share = (settings.batch_size + group.world() - 1) / group.world();
  if (!s.device.is_cpu() || share <= kProbe) return;  // a CUDA device says so itself when it runs out
  const double probe_bytes = peak_cpu_allocation([&] { trainer.trial_step(kProbe); });
  const double need = probe_bytes / kProbe * static_cast<double>(share), have = available_memory_bytes();
  at::Tensor refused = at::full({1}, need > have ? 1.0 : 0.0, at::kDouble);
  group.all_reduce_sum(refused);
  if (refused.item<double>() == 0) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  throw Error(fmt::format("[train] batch_size {}: one training step holds about {:.3g} GiB for the {} examples of {} "
                          "(measured: {:.1f} MiB for {}), and {:.1f} GiB are available; lower batch_size",
                          settings.batch_size, need / kGiB, share, group.distributed() ? "each process" : "the batch",
                          probe_bytes / (1024.0 * 1024.0), kProbe, have / kGiB));
}

Trainable trainable(const Session& s, const Objective& objective) {
  Trainable t;
  const std::string& objective_name = s.pipeline->plugin("objective").name;
  if (objective.target() == TrainingTarget::Guidance) {
    auto g = s.pipeline->create_as<Guidance>("guidance", s.context(), fmt::format("[objective] {}", objective_name));
    t.name = s.pipeline->plugin("guidance").name;
    t.module = g->module();
    if (!t.module) throw Error(fmt::format("{}: [guidance] plugin '{}' has nothing to train", s.pipeline->source(), t.name));
    t.trainee.guidance = g.get();
    t.owner = g;
    return t;
  }
  auto n = s.pipeline->create_as<Network>("network", s.context(), "scoregen train");
  t.name = s.pipeline->plugin("network").name;
  if (!n->trainable() || n->parameters().empty())
    throw Error(fmt::format("{}: [network] plugin '{}' has nothing to train", s.pipeline->source(), t.name));
  t.module = n.get();
  t.trainee.network = n.get();
  t.owner = n;
  if (objective.target_decay(0, 1) >= 0) {
    t.target = s.pipeline->create_as<Network>("network", s.context(), "scoregen train");
    t.trainee.target = t.target.get();
  }
  return t;
}

// The teacher of a distillation ([objective] teacher), or the score model a consistency function starts from
// (--init): a checkpoint's network with its EMA weights, or a pipeline's analytic network, on the student's device.
// Its [sde] is the student's: the student learns that process's probability-flow ODE.
Assembly load_teacher(const Session& s, const std::string& path, bool init = false) {
  const std::string where = init ? "--init" : "[objective] teacher =", who = init ? "score model" : "teacher";
  const bool pipeline_file = fs::path(path).extension() == ".toml";
  if (!fs::exists(path)) throw Error(fmt::format("{} {}: no such file", where, path));
  const std::string text = pipeline_file ? read_file(path) : s.checkpoint(path).pipeline();
  Pipeline p = Pipeline::parse(text, pipeline_file ? path : path + " (stored pipeline)", {}, *s.registry,
                               pipeline_file ? PipelineOrigin::File : PipelineOrigin::Stored);
  Session ts = open_session(s.registry, std::move(p));
  ts.device = s.device, ts.precision = s.precision, ts.quiet = true;
  ts.base_dir = fs::path(path).parent_path().string();
  for (const auto& d : compare_tables(*s.pipeline, *ts.pipeline, "sde"))
    throw Error(fmt::format("{}: [sde] {} = {}, but the {} {} has {} = {}: the student learns the {}'s "
                            "probability-flow ODE, so both use one [sde]", d.where, d.key, d.now, who, path, d.key, d.then, who));
  Assembly a = assemble(std::move(ts), {"scoregen distill", pipeline_file ? std::string() : path});
  if (a.shape != s.data->shape())
    throw Error(fmt::format("{} {}: its examples are [{}], the [data]'s [{}]", where, path,
                            fmt::join(a.shape, ", "), fmt::join(s.data->shape(), ", ")));
  for (auto& p : a.network->parameters()) p.set_requires_grad(false);
  return a;
}

// A consistency network wraps its score network as `inner`: when that has the teacher's parameters and buffers (the
// same names and shapes), the student starts as the teacher (Song et al. 2023, app. C). Returns what differs, or "".
std::string start_from_teacher(torch::nn::Module& student, torch::nn::Module& teacher) {
  torch::NoGradGuard no_grad;
  auto mine = student.named_parameters(true), theirs = teacher.named_parameters(true);
  auto my_buffers = student.named_buffers(true), their_buffers = teacher.named_buffers(true);
  if (mine.size() != theirs.size() || my_buffers.size() != their_buffers.size())
    return fmt::format("{} parameters, the teacher's network {}", mine.size(), theirs.size());
  for (const auto* pair : {&theirs, &their_buffers})
    for (const auto& item : *pair) {
      const at::Tensor* own = (pair == &theirs ? mine : my_buffers).find("inner." + item.key());
      if (!own) return fmt::format("the teacher's '{}' has no counterpart", item.key());
      if (!own->sizes().equals(item.value().sizes())) return fmt::format("'{}' differs in shape", item.key());
    }
  for (const auto& item : theirs) mine["inner." + item.key()].copy_(item.value());
  for (const auto& item : their_buffers) my_buffers["inner." + item.key()].copy_(item.value());
  return "";
}

// What a resumed run may change ([train] settings, the data, the seed: each a notice recorded in the run) and what
// it may not (the SDE, the network, the objective, the guidance: the weights were trained for them).
std::vector<std::string> compare_with_run(const Session& s, const std::string& ckpt) {
  Pipeline stored = Pipeline::parse(checkpoint_pipeline(ckpt), ckpt + " (stored pipeline)", {}, *s.registry,
                                    PipelineOrigin::Stored);
  stored.add_default("objective");
  for (const char* section : {"sde", "network", "objective", "guidance"})
    for (const auto& d : compare_tables(*s.pipeline, stored, section))
      throw Error(fmt::format("{}: [{}] {} = {}, but the run in {} was trained with {} = {}: resume with the run's value, "
                              "or train into a new run directory", d.where, d.section, d.key, d.now, ckpt, d.key, d.then));
  std::vector<std::string> notices;
  for (const char* section : {"", "train", "data"})
    for (const auto& d : compare_tables(*s.pipeline, stored, section)) {
      if (d.section == "train" && d.key == "steps") continue;  // how far to go is what a resume is for
      if (d.section.empty() && (d.key == "threads" || d.key == "device")) continue;  // where it runs, not what it learns
      notices.push_back(fmt::format("{}{} = {} (was {})", d.section.empty() ? std::string() : "[" + d.section + "] ",
                                    d.key, d.now, d.then));
    }
  return notices;
}

std::int64_t parameter_count(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

Report train(const TrainRequest& request) {
  SessionRequest sr = request.session;
  std::string init_pipeline;  // the --init checkpoint's stored pipeline, read once
  if (!request.init.empty() && !sr.pipeline_path.empty()) {
    // --init: the [sde], [network] and [sampler] the PIPELINE leaves out are the checkpoint's (an import has no [data])
    init_pipeline = checkpoint_pipeline(request.init);
    const std::string& stored = init_pipeline;
    // a consistency network starting from a score model's checkpoint takes its [sde] only (its sampler is not one)
    const bool score_start = section_plugin(read_file(sr.pipeline_path), "network") == "consistency" &&
                             section_plugin(stored, "network") != "consistency";
    sr.pipeline_text = pipeline_with_sections(sr.pipeline_path, stored,
                                              score_start ? std::vector<std::string>{"sde"}
                                                          : std::vector<std::string>{"sde", "network", "sampler"});
    sr.pipeline_source = sr.pipeline_path;
  }
  Session s = open_session(sr);
  if (!s.data) throw Error(fmt::format("{}: training needs a [data] section", s.pipeline->source()));
  s.pipeline->add_default("objective");
  TrainSettings settings = settings_of<TrainSettings>(s.pipeline->options("train"));
  settings.precision = s.precision;
  auto objective = s.pipeline->create_as<Objective>("objective", s.context(), "scoregen train");
  if (request.distill && objective->teacher().empty())
    throw Error(fmt::format("{}: scoregen distill needs an [objective] that learns from a teacher (plugin = "
                            "\"consistency-distillation\"); this one is '{}'", s.pipeline->source(),
                            s.pipeline->plugin("objective").name));
  Trainable t = trainable(s, *objective);
  settle_threads(s, s.data->shape());
  // Distillation: the teacher's score; a new student starts from the teacher's weights where the networks match.
  std::optional<Assembly> teacher;
  std::string teacher_start;
  if (!objective->teacher().empty()) {
    teacher.emplace(load_teacher(s, objective->teacher()));
    t.trainee.teacher = teacher->model.get();
    teacher_start = teacher->network->parameters().empty() ? "the teacher is analytic" : start_from_teacher(*t.module, *teacher->network);
  }
  // --init with a score model's checkpoint for a consistency network: the consistency function starts as that score
  // model (easy consistency tuning, Geng et al. 2024), its own step 0 (a new schedule); else --init resumes a model.
  const bool init_from_score = !request.init.empty() && t.trainee.network &&
                               t.trainee.network->consistency_sigma_min() > 0 &&
                               section_plugin(init_pipeline.empty() ? checkpoint_pipeline(request.init) : init_pipeline,
                                              "network") != "consistency";
  if (init_from_score) {
    if (teacher)
      throw Error(fmt::format("--init {}: a distillation's student starts from its teacher; drop --init", request.init));
    Assembly score = load_teacher(s, request.init, true);
    const std::string differs = score.network->parameters().empty() ? "it has no weights" : start_from_teacher(*t.module, *score.network);
    if (!differs.empty())
      throw Error(fmt::format("--init {}: the consistency network's inner [network] must be that score model's to start "
                              "from it ({})", request.init, differs));
  }

  std::string run = request.run_dir;
  if (run.empty())
    run = (fs::path("runs") / (request.session.pipeline_path.empty() ? std::string("run")
                                                                      : fs::path(request.session.pipeline_path).stem().string()))
              .string();
  const ProcessGroup& group = *s.group;
  const bool root = group.root();  // only rank 0 writes the run directory
  // The global batch's examples themselves, before any is drawn (the network's activations need several times more).
  require_memory_for(static_cast<double>(settings.batch_size) / group.world(), s.data->shape(),
                     "[train] batch_size (this rank's share of the global batch)");
  const std::string ckpt = (fs::path(run) / "checkpoint.pt").string();
  std::optional<RunLock> lock;
  std::optional<UnfinishedRunCleanup> cleanup;
  if (root) {
    cleanup.emplace(run, ckpt);
    make_output_folder(run, "--out");
    lock.emplace(run);  // a second `train` into this folder refuses instead of writing beside this one
    cleanup->arm();
  }
  const std::string metrics = (fs::path(run) / "metrics.jsonl").string();
  s.pipeline->anchor_files(s.base_dir);  // the checkpoint's pipeline reads the same data from wherever it is used
  const std::string resolved = s.pipeline->to_toml();

  Trainer trainer(*t.module, t.trainee, *objective, *s.data, settings, s.device,
                  [&s](std::uint64_t step, std::int64_t first, std::int64_t count) {
                    return s.batch_random(Stream::TrainingBatches, count, step, first);
                  },
                  s.group);
  // Every rank resumes from the same checkpoint (with any world size), or none does.
  at::Tensor seen = at::full({1}, fs::exists(ckpt) ? 1.0 : 0.0, at::kDouble);
  group.all_reduce_sum(seen);
  const int ranks_seeing = static_cast<int>(seen.item<double>());
  if (ranks_seeing != 0 && ranks_seeing != group.world())
    throw Error(fmt::format("{}: {} of {} ranks see this checkpoint; the run directory must be on a file system every rank "
                            "reads", ckpt, ranks_seeing, group.world()));
  if (ranks_seeing > 0) {
    if (!request.init.empty())
      throw Error(fmt::format("--init {}: {} has a checkpoint to resume from, and --init starts new runs only; drop "
                              "--init to resume, or train into a new folder", request.init, run));
    const std::vector<std::string> notices = compare_with_run(s, ckpt);
    if (!trainer.resume(ckpt))
      throw Error(fmt::format("{}: checkpoint is incomplete (no optimizer or EMA state: an export?); cannot resume exactly",
                              ckpt));
    if (trainer.steps_done() > settings.steps)
      throw Error(fmt::format("{} is already at step {}; [train] steps = {} is fewer (give --steps {} or more to continue)",
                              run, trainer.steps_done(), settings.steps, trainer.steps_done() + 1));
    if (trainer.steps_done() == settings.steps) {
      Report done;
      done.line(fmt::format("train: {} is already at step {} of {}; nothing to do (raise --steps to continue)", run,
                            trainer.steps_done(), settings.steps));
      done.field("command", "train").field("run", run).field("steps", settings.steps).field("steps_run", std::int64_t{0});
      return done;
    }
    if (root) {
      truncate_metrics(metrics, trainer.steps_done());  // a kill after the checkpoint logged steps it will log again
      fmt::print(stderr, "train: resuming {} from step {}\n", run, trainer.steps_done());
      // an event line per resume (plot marks it), saying what changed where something did
      if (notices.empty())
        append_line(metrics, fmt::format("{{\"step\": {}, \"event\": \"resumed\"}}", trainer.steps_done()));
      for (const auto& n : notices) {
        fmt::print(stderr, "train: note: resuming with {}\n", n);
        append_line(metrics, fmt::format("{{\"step\": {}, \"event\": {}}}", trainer.steps_done(),
                                         json_quote("resumed with " + n)));
      }
    }
  } else {
    if (init_from_score) {
      if (root)
        fmt::print(stderr, "train: the consistency function starts from the score model {} (its EMA weights; step 0)\n",
                   request.init);
    } else if (!request.init.empty()) {
      require_checkpoint_tables(s, request.init, {{"sde", ""}, {"network", ""}});
      trainer.start_from(request.init);
      if (trainer.steps_done() >= settings.steps)
        throw Error(fmt::format("--init {} is at step {}; [train] steps = {} leaves nothing to train (give --steps {} or "
                                "more)", request.init, trainer.steps_done(), settings.steps, trainer.steps_done() + 1));
      if (root)
        fmt::print(stderr, "train: starting from {} at its step {} (weights and EMA; the optimizer's moments at zero)\n",
                   request.init, trainer.steps_done());
    }
    if (root && teacher)
      fmt::print(stderr, "distill: the student {}\n", teacher_start.empty() ? "starts from the teacher's weights"
                                                                          : "starts from its own initialisation (" + teacher_start + ")");
    if (root) truncate_metrics(metrics, 0);  // a run killed before its first checkpoint starts over, and so does its record
  }
  if (root) write_file_atomic((fs::path(run) / "pipeline.toml").string(), resolved);
  if (root)
    fmt::print(stderr, "train: {} on {} ({} of shape [{}]; {} parameters), objective {}, device {}{}\n", t.name,
               s.pipeline->plugin("data").name,
               s.data->size() > 0 ? fmt::format("{} examples", s.data->size()) : std::string("fresh draws"),
               fmt::join(s.data->shape(), ", "), parameter_count(*t.module), objective->describe(), s.device.str(),
               group.distributed() ? fmt::format(", {} ranks x {} examples", group.world(), settings.batch_size / group.world())
                                   : std::string());

  // [train] sample_every: a grid of samples from the EMA weights, written into the run as training goes.
  const std::int64_t sample_every = settings.sample_every;
  std::shared_ptr<Sampler> sampler;
  if (sample_every > 0) {
    if (!t.trainee.network) s.pipeline->options("train").fail("sample_every", "only a score network's training draws samples");
    require_memory_for(static_cast<double>(settings.sample_num), s.data->shape(),
                       "[train] sample_num: the samples drawn every sample_every steps");
    sampler = s.pipeline->create_as<Sampler>("sampler", s.context(), "[train] sample_every");
    AssemblyRequest preview;
    preview.command = "[train] sample_every";
    require_consistency_pairing(s, *t.trainee.network, sampler.get(), preview);
    if (root) make_output_folder((fs::path(run) / "samples").string(), "[train] sample_every");
  }
  auto snapshot = [&](std::int64_t step) {
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> current;
    for (const auto& p : t.module->parameters()) current.push_back(p.detach().clone());
    trainer.apply_ema();
    t.module->eval();
    ScoreModel model(std::dynamic_pointer_cast<Network>(t.owner), s.sde);
    model.set_device(s.device);
    model.set_precision(s.precision);
    std::vector<std::int64_t> shape = s.data->shape();
    shape.insert(shape.begin(), settings.sample_num);
    SilentProgress quiet;
    at::Tensor x = sampler->sample(model, shape, s.generator(Stream::TrainingPreviews, static_cast<std::uint64_t>(step)), quiet, {}).cpu();
    const std::string out = (fs::path(run) / "samples" / fmt::format("step_{:07}.png", step)).string();
    if (at::isfinite(x).all().item<bool>()) DataMapping{s.data}.save(x, out);
    else fmt::print(stderr, "train: the samples at step {} are not finite (not written)\n", step);
    auto params = t.module->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(current[i]);
    t.module->train();
  };

  require_step_memory(trainer, settings, s);
  const std::int64_t start = trainer.steps_done();
  std::int64_t last_saved = start;
  ProgressBar progress("train", settings.steps, !s.quiet);
  progress.update(start);
  // The record continues where the checkpoint left it: the clock, and the metrics window still open.
  double loss_sum = trainer.tally().loss_sum, last_loss = 0;
  std::int64_t loss_count = trainer.tally().loss_count;
  const double elapsed_before = trainer.tally().elapsed_s;
  auto tally = [&] {
    CheckpointState t;
    t.elapsed_s = elapsed_before + progress.elapsed(), t.loss_sum = loss_sum, t.loss_count = loss_count;
    return t;
  };
  while (trainer.steps_done() < settings.steps) {
    // Ctrl-C, SIGTERM (Slurm, Kubernetes, torchrun) or SIGUSR1 (Slurm's --signal warning): a checkpoint at this step,
    // then exit. The ranks of a group agree through the gradient sum, so they stop after the same step.
    if (group.distributed() ? trainer.stop_agreed() : interrupt_requested()) {
      if (root) trainer.save(ckpt, resolved, tally());
      fmt::print(stderr, "\ntrain: stopped; checkpoint at step {} in {}\n", trainer.steps_done(), ckpt);
      throw Interrupted();
    }
    double value = 0;
    try {
      value = trainer.step();
    } catch (const Error& e) {
      throw Error(fmt::format("{}; the last good checkpoint is {} (step {})", e.what(),
                              fs::exists(ckpt) ? ckpt : std::string("(none yet)"), last_saved));
    }
    loss_sum += value, ++loss_count;
    last_loss = value;
    const std::int64_t done = trainer.steps_done();
    progress.update(done, fmt::format("loss {:.4g}", value));
    if (done % settings.log_every == 0 || done == settings.steps) {
      if (root)
        append_line(metrics, fmt::format(
            "{{\"step\": {}, \"loss\": {:.6g}, \"lr\": {:.6g}, \"elapsed_s\": {:.3f}, \"world_size\": {}}}", done,
            loss_sum / loss_count, trainer.lr(), elapsed_before + progress.elapsed(), group.world()));
      loss_sum = 0, loss_count = 0;
    }
    if (done % settings.checkpoint_every == 0 || done == settings.steps) {
      if (root) trainer.save(ckpt, resolved, tally());
      last_saved = done;
    }
    if (sample_every > 0 && root && (done % sample_every == 0 || done == settings.steps)) snapshot(done);
  }
  progress.finish();
  const std::int64_t ran = settings.steps - start;
  const double rate = static_cast<double>(ran) / std::max(progress.elapsed(), 1e-9);
  const double share = trainer.all_reduce_seconds() / std::max(progress.elapsed(), 1e-9);
  Report report;
  report.line(fmt::format("train: {} steps in {:.1f} s ({:.1f} steps/s{}); checkpoint {}", ran, progress.elapsed(), rate,
                          group.distributed() ? fmt::format(", gradient all-reduce {:.1f}% of the time", 100.0 * share)
                                              : std::string(),
                          ckpt));
  // What sample and eval will use: the EMA weights, an average over about 1 / (1 - d) recent steps.
  const double decay = trainer.ema_decay();
  report.line(decay > 0 ? fmt::format("EMA: decay {:.4g} at step {} (warm-up min({}, (1 + k) / (10 + k))): sample and "
                                      "eval use the weights averaged over about the last {:.0f} steps",
                                      decay, settings.steps, settings.ema, 1.0 / (1.0 - decay))
                        : std::string("EMA: off ([train] ema = 0): sample and eval use the last step's weights"));
  report.field("command", "train").field("run", run).field("checkpoint", ckpt).field("metrics", metrics)
      .field("steps", settings.steps).field("steps_run", ran).field("seed", s.seed)
      .field("steps_per_second", rate).field("world_size", group.world()).field("final_loss", last_loss)
      .field("ema_decay", decay);
  if (group.distributed()) report.field("all_reduce_share", share);
  return report;
}

}  // namespace scoregen::engine
