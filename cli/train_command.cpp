// `scoregen train`: Adam with warmup and clipping, EMA, metrics, atomic checkpoints, exact resume.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/io.hpp"
#include "scoregen/objective.hpp"
#include "scoregen/progress.hpp"

namespace fs = std::filesystem;

namespace scoregen::cli {

namespace {

// Keeps metrics.jsonl consistent with a resumed checkpoint: lines past its step are dropped.
void truncate_metrics(const std::string& path, std::int64_t step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    auto p = line.find("\"step\": ");
    if (p != std::string::npos && std::stoll(line.substr(p + 8)) > step) continue;
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

std::string default_run_dir(const cxxopts::ParseResult& args) {
  std::string stem = args.count("pipeline") ? fs::path(args["pipeline"].as<std::string>()).stem().string() : "run";
  return (fs::path("runs") / stem).string();
}

}  // namespace

int run_train(int argc, char** argv) {
  cxxopts::Options options("scoregen train",
                           "Train the pipeline's [network] on its [data] with the [train] objective.\n"
                           "A run directory holds checkpoint.pt, metrics.jsonl and pipeline.toml; training again\n"
                           "into the same directory resumes from its checkpoint.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("training")
      ("o,out", "run directory (default runs/<pipeline name>)", cxxopts::value<std::string>())
      ("steps", "total optimizer steps (train.steps)", cxxopts::value<std::int64_t>())
      ("batch-size", "examples per step (train.batch_size)", cxxopts::value<std::int64_t>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  if (args.count("steps")) extra.push_back(fmt::format("train.steps={}", args["steps"].as<std::int64_t>()));
  if (args.count("batch-size")) extra.push_back(fmt::format("train.batch_size={}", args["batch-size"].as<std::int64_t>()));
  Session s = open_session(args, extra);
  if (!s.data) throw Error(fmt::format("{}: training needs a [data] section", s.pipeline->source()));
  const Options& cfg = s.pipeline->options("train");
  const std::int64_t steps = cfg.integer("steps"), batch = cfg.integer("batch_size");
  const std::int64_t warmup = cfg.integer("warmup"), ckpt_every = cfg.integer("checkpoint_every"),
                     log_every = cfg.integer("log_every");
  const double lr = cfg.real("lr"), clip = cfg.real("grad_clip"), ema_decay = cfg.real("ema");
  if (steps < 1) cfg.fail("steps", "must be >= 1");
  if (batch < 1) cfg.fail("batch_size", "must be >= 1");
  if (!(lr > 0)) cfg.fail("lr", "must be > 0");
  if (warmup < 0) cfg.fail("warmup", "must be >= 0");
  if (ckpt_every < 1) cfg.fail("checkpoint_every", "must be >= 1");
  if (log_every < 1) cfg.fail("log_every", "must be >= 1");
  if (!(ema_decay >= 0 && ema_decay < 1)) cfg.fail("ema", "must be in [0, 1)");
  if (clip < 0) cfg.fail("grad_clip", "must be >= 0");

  // The trainee: the score network, or the [guidance] classifier for objective = "classifier".
  const bool classifier = cfg.string("objective") == "classifier";
  std::shared_ptr<Network> network;
  std::shared_ptr<Guidance> guidance;
  torch::nn::Module* trainee = nullptr;
  std::string trainee_name;
  std::unique_ptr<Objective> objective;
  if (classifier) {
    guidance = s.pipeline->create_as<Guidance>("guidance", s.context(), "objective = \"classifier\"");
    trainee = guidance->module();
    trainee_name = s.pipeline->plugin("guidance").name;
    if (!trainee) throw Error(fmt::format("{}: [guidance] plugin '{}' has nothing to train", s.pipeline->source(), trainee_name));
    if (s.data->num_classes() < 2) throw Error("objective = \"classifier\" needs labelled [data]");
  } else {
    network = s.pipeline->create_as<Network>("network", s.context(), "scoregen train");
    trainee = network.get();
    trainee_name = s.pipeline->plugin("network").name;
    if (!network->trainable() || network->parameters().empty())
      throw Error(fmt::format("{}: [network] plugin '{}' has nothing to train", s.pipeline->source(), trainee_name));
    std::int64_t dim = 1;
    for (auto d : s.data->shape()) dim *= d;
    objective = make_objective(cfg, s.sde, dim);
  }
  trainee->to(s.device);
  trainee->train();
  // Cross-entropy of the time-dependent classifier on data noised at t ~ U(eps, T) (seed 001 app. I)
  auto loss_of = [&](const Batch& b, at::Generator& g) {
    if (!classifier) return objective->loss(*network, b, g);
    objective_detail::Perturbed p = objective_detail::perturb(*s.sde, b.x, g);
    return at::cross_entropy_loss(guidance->logits(p.xt, p.t), b.y);
  };
  const std::string describe = classifier ? std::string("classifier cross-entropy on noised data") : objective->describe();

  const std::string run = args.count("out") ? args["out"].as<std::string>() : default_run_dir(args);
  fs::create_directories(run);
  const std::string ckpt = (fs::path(run) / "checkpoint.pt").string();
  const std::string metrics = (fs::path(run) / "metrics.jsonl").string();
  const std::string resolved = s.pipeline->to_toml();

  torch::optim::Adam optimizer(trainee->parameters(),
                               torch::optim::AdamOptions(lr).betas({cfg.real("beta1"), 0.999}).eps(1e-8).weight_decay(
                                   cfg.real("weight_decay")));
  at::Generator data_gen = s.generator(10), noise_gen = s.generator(11);
  std::vector<at::Tensor> ema;
  for (const auto& p : trainee->parameters()) ema.push_back(p.detach().clone());
  std::int64_t start = 0;
  if (fs::exists(ckpt)) {
    CheckpointState st = load_checkpoint(ckpt, trainee, &optimizer);
    if (st.rng.size() != 2 || st.ema.size() != ema.size())
      throw Error(fmt::format("{}: checkpoint is incomplete (no RNG or EMA state); cannot resume exactly", ckpt));
    start = st.step;
    ema = st.ema;
    data_gen.set_state(st.rng[0]);
    noise_gen.set_state(st.rng[1]);
    truncate_metrics(metrics, start);
    fmt::print(stderr, "train: resuming {} from step {}\n", run, start);
    if (start >= steps) {
      fmt::print("train: {} is already at step {} of {}; nothing to do (raise --steps to continue)\n", run, start, steps);
      return 0;
    }
  }
  write_file_atomic((fs::path(run) / "pipeline.toml").string(), resolved);
  fmt::print(stderr, "train: {} on {} ({} parameters), objective {}, device {}\n", trainee_name,
             s.pipeline->plugin("data").name, [&] {
               std::int64_t n = 0;
               for (const auto& p : trainee->parameters()) n += p.numel();
               return n;
             }(),
             describe, s.device.str());

  auto save = [&](std::int64_t step) {
    CheckpointState st;
    st.step = step;
    st.pipeline = resolved;
    st.ema = ema;
    st.rng = {data_gen.get_state(), noise_gen.get_state()};
    save_checkpoint(ckpt, st, *trainee, &optimizer);
  };
  auto params = trainee->parameters();
  Progress progress("train", steps, !s.quiet);
  progress.update(start);
  std::int64_t last_saved = start;
  double loss_sum = 0;
  std::int64_t loss_count = 0;
  for (std::int64_t step = start; step < steps; ++step) {
    if (interrupt_requested()) {
      save(step);
      fmt::print(stderr, "\ntrain: interrupted; checkpoint at step {} in {}\n", step, ckpt);
      throw Interrupted();
    }
    // Linear warmup of the learning rate (score_sde optimization_manager)
    double cur_lr = warmup > 0 ? lr * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(warmup)) : lr;
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(cur_lr);
    Batch b = s.data->sample(batch, data_gen);
    b.x = b.x.to(s.device);
    if (b.y.defined()) b.y = b.y.to(s.device);
    optimizer.zero_grad();
    at::Tensor loss = loss_of(b, noise_gen);
    double value = loss.item<double>();
    if (!std::isfinite(value))
      throw Error(fmt::format("training diverged: non-finite loss at step {}; the last good checkpoint is {} (step {})",
                              step + 1, fs::exists(ckpt) ? ckpt : std::string("(none yet)"), last_saved));
    loss.backward();
    if (clip > 0) torch::nn::utils::clip_grad_norm_(params, clip);
    optimizer.step();
    if (ema_decay > 0) {
      torch::NoGradGuard guard;
      // EMA e <- d e + (1 - d) p with the warm-up d_k = min(d, (1 + k) / (10 + k)) of
      // tf.train.ExponentialMovingAverage(num_updates), so short runs are not dominated by the initial weights.
      const double d = std::min(ema_decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
      for (std::size_t i = 0; i < params.size(); ++i) ema[i].mul_(d).add_(params[i].detach(), 1.0 - d);
    } else {
      for (std::size_t i = 0; i < params.size(); ++i) ema[i] = params[i].detach().clone();
    }
    loss_sum += value, ++loss_count;
    const std::int64_t done = step + 1;
    progress.update(done, fmt::format("loss {:.4g}", value));
    if (done % log_every == 0 || done == steps) {
      std::ofstream(metrics, std::ios::app) << fmt::format(
          "{{\"step\": {}, \"loss\": {:.6g}, \"lr\": {:.6g}, \"elapsed_s\": {:.3f}}}\n", done, loss_sum / loss_count,
          cur_lr, progress.elapsed());
      loss_sum = 0, loss_count = 0;
    }
    if (done % ckpt_every == 0 || done == steps) save(done), last_saved = done;
  }
  progress.finish();
  fmt::print("train: {} steps in {:.1f} s ({:.1f} steps/s); checkpoint {}\n", steps - start, progress.elapsed(),
             static_cast<double>(steps - start) / std::max(progress.elapsed(), 1e-9), ckpt);
  return 0;
}

}  // namespace scoregen::cli
