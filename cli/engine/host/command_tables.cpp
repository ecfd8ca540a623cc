// The sections a pipeline may hold: the plugin tables and each command's own settings, with their ranges.
#include "engine/pipeline.hpp"

namespace scoregen::engine {

namespace {
OptionSpec at_least(OptionSpec spec, double v) { return std::move(spec.at_least(v)); }
OptionSpec above(OptionSpec spec, double v) { return std::move(spec.above(v)); }
// "auto" (one draw on 8-bit data, none on continuous data) or a number of draws; a float-or-"auto" option.
OptionSpec dequantize_option() {
  OptionSpec s = opt::real("dequantize", 0, "uniform dequantization draws per example of 8-bit data; \"auto\": 1 on 8-bit "
                                            "data, as published bits/dim are, 0 on continuous data (a count there is an error)");
  s.type = OptionType::RealOrAuto;
  s.default_value = std::string("auto");
  return at_least(std::move(s), 0);
}
// The particle count and resampling threshold of a command's sequential Monte Carlo method.
OptionSpec particles_option(const std::string& what) {
  return std::move(opt::integer("particles", 16, "smc: particles per " + what + " (each " + what + " is one particle "
                                                 "of its own independent particle system)").at_least(1).at_most(1000000));
}
OptionSpec sweeps_option(const std::string& what) {
  return std::move(opt::integer("sweeps", 4, "smc: independent particle systems run per " + what + ", combined by "
                                             "particle independent Metropolis-Hastings (Andrieu et al. 2010): exact "
                                             "at any particle count as they grow; 1: plain SMC, off by O(1 / "
                                             "particles)").at_least(1).at_most(1000));
}
OptionSpec ess_threshold_option() {
  return std::move(opt::real("ess_threshold", 0.5, "smc: resample a system when its effective sample size falls below "
                                                   "this fraction of its particles").at_least(0).at_most(1));
}
}  // namespace

const std::vector<SectionSpec>& pipeline_sections() {
  static const std::vector<SectionSpec> sections = {
      {"",
       std::nullopt,
       {at_least(opt::integer("seed", 0, "seed of every random draw (same seed, same bits)"), 0),
        opt::string("device", "cpu", "torch device: cpu, cuda, cuda:1, ..."),
        at_least(opt::integer("threads", 0,
                              "CPU threads for LibTorch (0: by the work: 1 for examples of under 64 values, else one "
                              "per core; at most 4 per core)"),
                 0),
        opt::string("precision", "float32",
                    "the network's arithmetic: float32, or bf16 under autocast (weights, scores and sampler state stay "
                    "float32; docs/pipelines.md)",
                    {"float32", "bf16"})},
       "top-level keys"},
      {"sde", PluginKind::Sde, {}, "the forward process"},
      {"network", PluginKind::Network, {}, "the score network (or analytic oracle)"},
      {"data", PluginKind::Dataset, {}, "the data set"},
      {"sampler", PluginKind::Sampler, {}, "the sampler `scoregen sample` uses"},
      {"guidance", PluginKind::Guidance, {}, "the class-guidance model"},
      {"objective", PluginKind::Objective, {}, "the training objective of `scoregen train` (default: dsm)"},
      {"train",
       std::nullopt,
       {at_least(opt::integer("steps", 2000, "optimizer steps"), 1),
        at_least(opt::integer("batch_size", 256, "examples per step"), 1),
        above(opt::real("lr", 2e-3, "Adam learning rate"), 0),
        std::move(opt::real("beta1", 0.9, "Adam beta1").at_least(0).below(1)),
        at_least(opt::real("weight_decay", 0.0, "Adam weight decay"), 0),
        at_least(opt::integer("warmup", 100, "linear learning-rate warmup steps (0: none)"), 0),
        at_least(opt::real("grad_clip", 1.0, "clip the gradient norm to this (0: off)"), 0),
        std::move(opt::real("ema", 0.999, "EMA decay of the weights (0: off)").at_least(0).below(1)),
        at_least(opt::integer("checkpoint_every", 500, "write a checkpoint every K steps"), 1),
        at_least(opt::integer("log_every", 50, "append a metrics.jsonl line every K steps"), 1),
        at_least(opt::integer("sample_every", 0, "write a grid of sample_num samples (EMA weights, [sampler]) to "
                                                 "RUN/samples/ every K steps (0: never)"), 0),
        at_least(opt::integer("sample_num", 16, "samples in each of those grids"), 1)},
       "settings of `scoregen train`"},
      {"sample",
       std::nullopt,
       {at_least(opt::integer("num", 64, "number of samples"), 1),
        at_least(opt::integer("batch_size", 256, "samples drawn at once (bounds memory)"), 1),
        opt::string("out", "samples.png", "output file: .png (grid or scatter), .npy or .pt"),
        opt::string("guidance", "gradient",
                    "how --class steers a [guidance] classifier: gradient: its grad log p_t(y | x), times the scale, "
                    "joins the score (Song et al. 2021, eq. 14; exact only for an exact p_t(y | x)); smc: sequential "
                    "Monte Carlo with the classifier as twist, asymptotically exact for p(x) p(y | x)^scale in the "
                    "particles (Wu et al. 2023; docs/formulas.md)",
                    {"gradient", "smc"}),
        particles_option("sample"), sweeps_option("sample"), ess_threshold_option()},
       "settings of `scoregen sample`"},
      {"nll",
       std::nullopt,
       {at_least(opt::integer("num", 256, "number of data examples evaluated"), 1),
        at_least(opt::integer("batch_size", 128, "examples per ODE solve"), 1),
        // 1e-4: on the shipped VP model each example's bits/dim is within 0.001 of 1e-5's at 2.5x fewer evaluations
        above(opt::real("rtol", 1e-4, "RK45 relative tolerance (1e-4 moves bits/dim by < 0.001; docs/pipelines.md)"), 0),
        above(opt::real("atol", 1e-4, "RK45 absolute tolerance"), 0),
        opt::string("divergence", "rademacher", "divergence estimator", {"rademacher", "gaussian", "exact"}),
        std::move(opt::integer("n_probes", 1, "Hutchinson probes per solve").at_least(1).at_most(1000)),
        dequantize_option()},
       "settings of `scoregen nll`"},
      {"inpaint",
       std::nullopt,
       {at_least(opt::integer("num", 1, "completions per image (a grid when more than one)"), 1),
        opt::string("method", "replace",
                    "replace: the known part, noised to t, replaces the sampler's after every update (Song et al. 2021, "
                    "app. I; biased); smc: sequential Monte Carlo, asymptotically exact in the particles (Cardoso et al. "
                    "2024; docs/formulas.md)",
                    {"replace", "smc"}),
        particles_option("completion"), sweeps_option("completion"), ess_threshold_option()},
       "settings of `scoregen inpaint`"},
      {"eval",
       std::nullopt,
       {at_least(opt::integer("num", 1000, "samples and test examples for the Frechet distance"), 2),
        at_least(opt::integer("batch_size", 250, "samples drawn at once"), 1),
        at_least(opt::integer("nll_num", 64, "test examples for bits/dim (0: skip)"), 0)},
       "settings of `scoregen eval`"},
  };
  return sections;
}

}  // namespace scoregen::engine
