// The sections a pipeline may hold: the plugin tables (with the default plugin of one that has it) and each
// command's own settings, declared once as command_settings.hpp's structs.
#include "engine/host/command_settings.hpp"
#include "engine/host/pipeline.hpp"

namespace scoregen::engine {

namespace {
// The particle count, sweeps and resampling threshold of a command's sequential Monte Carlo method.
template <class S>
void declare_smc(Declaration<S>& d, const std::string& what) {
  d(&S::particles, "particles", "smc: particles per " + what + " (each " + what + " is one particle of its own "
                                "independent particle system)").at_least(1).at_most(1000000);
  d(&S::sweeps, "sweeps", "smc: independent particle systems run per " + what + ", combined by particle independent "
                          "Metropolis-Hastings (Andrieu et al. 2010): exact at any particle count as they grow; 1: "
                          "plain SMC, off by O(1 / particles)").at_least(1).at_most(1000);
  d(&S::ess_threshold, "ess_threshold", "smc: resample a system when its effective sample size falls below this "
                                        "fraction of its particles").at_least(0).at_most(1);
}
}  // namespace

void RootSettings::declare(Declaration<RootSettings>& d) {
  d(&RootSettings::seed, "seed", "seed of every random draw (same seed, same bits)").at_least(0);
  d(&RootSettings::device, "device", "torch device: cpu, cuda, cuda:1, ...");
  d(&RootSettings::threads, "threads", "CPU threads for LibTorch (0: by the work: 1 for examples of under 64 values, "
                                       "else one per core; at most 4 per core)").at_least(0);
  d(&RootSettings::precision, "precision", "the network's arithmetic: float32, or bf16 under autocast (weights, scores "
                                           "and sampler state stay float32; docs/pipelines.md)").one_of({"float32", "bf16"});
}

void TrainSettings::declare(Declaration<TrainSettings>& d) {
  d(&TrainSettings::steps, "steps", "optimizer steps").at_least(1);
  d(&TrainSettings::batch_size, "batch_size", "examples per step").at_least(1);
  d(&TrainSettings::lr, "lr", "Adam learning rate").above(0);
  d(&TrainSettings::beta1, "beta1", "Adam beta1").at_least(0).below(1);
  d(&TrainSettings::weight_decay, "weight_decay", "Adam weight decay").at_least(0);
  d(&TrainSettings::warmup, "warmup", "linear learning-rate warmup steps (0: none)").at_least(0);
  d(&TrainSettings::grad_clip, "grad_clip", "clip the gradient norm to this (0: off)").at_least(0);
  d(&TrainSettings::ema, "ema", "EMA decay of the weights (0: off)").at_least(0).below(1);
  d(&TrainSettings::checkpoint_every, "checkpoint_every", "write a checkpoint every K steps").at_least(1);
  d(&TrainSettings::log_every, "log_every", "append a metrics.jsonl line every K steps").at_least(1);
  d(&TrainSettings::sample_every, "sample_every", "write a grid of sample_num samples (EMA weights, [sampler]) to "
                                                  "RUN/samples/ every K steps (0: never)").at_least(0);
  d(&TrainSettings::sample_num, "sample_num", "samples in each of those grids").at_least(1);
}

void SampleSettings::declare(Declaration<SampleSettings>& d) {
  d(&SampleSettings::num, "num", "number of samples").at_least(1);
  d(&SampleSettings::batch_size, "batch_size", "samples drawn at once (bounds memory)").at_least(1);
  d(&SampleSettings::out, "out", "output file: .png (grid or scatter), .npy or .pt");
  d(&SampleSettings::guidance, "guidance",
    "how --class steers a [guidance] classifier: gradient: its grad log p_t(y | x), times the scale, joins the score "
    "(Song et al. 2021, eq. 14; exact only for an exact p_t(y | x)); smc: sequential Monte Carlo with the classifier "
    "as twist, asymptotically exact for p(x) p(y | x)^scale in the particles (Wu et al. 2023; docs/formulas.md)")
      .one_of({"gradient", "smc"});
  declare_smc(d, "sample");
}

void NllSettings::declare(Declaration<NllSettings>& d) {
  d(&NllSettings::num, "num", "number of data examples evaluated").at_least(1);
  d(&NllSettings::batch_size, "batch_size", "examples per ODE solve").at_least(1);
  // one rule for every PF-ODE solve: kOdeTolerance, score_sde_pytorch's 1e-5 (docs/pipelines.md "ODE tolerance")
  d(&NllSettings::rtol, "rtol", "RK45 relative tolerance (1e-5 as encode, decode and score_sde; 1e-4 moves bits/dim by "
                                "< 0.001 at 2.4x fewer evaluations; docs/pipelines.md)").above(0);
  d(&NllSettings::atol, "atol", "RK45 absolute tolerance").above(0);
  d(&NllSettings::divergence, "divergence", "divergence estimator").one_of({"rademacher", "gaussian", "exact"});
  d(&NllSettings::n_probes, "n_probes", "Hutchinson probes per solve").at_least(1).at_most(1000);
  // "auto" (one draw on 8-bit data, none on continuous data) or a number of draws
  d(&NllSettings::dequantize, "dequantize", "uniform dequantization draws per example of 8-bit data; \"auto\": 1 on "
                                            "8-bit data, as published bits/dim are, 0 on continuous data (a count "
                                            "there is an error)").at_least(0);
  d(&NllSettings::data_values, "data_values",
    "what --data's values are: auto: continuous (no offset); 8-bit: 8-bit levels in the model's range, dequantized "
    "with [nll] dequantize draws (1 under auto) and bits/dim offset by 7 ([-1, 1]) or 8 ([0, 1]), as score_sde and "
    "published figures; 8-bit-dequantized: 8-bit data already dequantized ((k + U) / 256, what score_sde's likelihood "
    "takes): the offset, no draws; continuous: no offset. `import score-sde` writes 8-bit. Without --data, [data] "
    "says").one_of({"auto", "8-bit", "8-bit-dequantized", "continuous"});
}

void InpaintSettings::declare(Declaration<InpaintSettings>& d) {
  d(&InpaintSettings::num, "num", "completions per image (a grid when more than one)").at_least(1);
  d(&InpaintSettings::method, "method",
    "replace: the known part, noised to t, replaces the sampler's after every update (Song et al. 2021, app. I; "
    "biased); smc: sequential Monte Carlo, asymptotically exact in the particles (Cardoso et al. 2024; "
    "docs/formulas.md)").one_of({"replace", "smc"});
  declare_smc(d, "completion");
}

void EvalSettings::declare(Declaration<EvalSettings>& d) {
  d(&EvalSettings::num, "num", "samples and test examples for the Frechet distance").at_least(2);
  d(&EvalSettings::batch_size, "batch_size", "samples drawn at once").at_least(1);
  d(&EvalSettings::nll_num, "nll_num", "test examples for bits/dim (0: skip)").at_least(0);
  d(&EvalSettings::kid_subsets, "kid_subsets", "subsets the kernel distance (KID, Binkowski et al. 2018) averages, in "
    "Inception and classifier features (100 as torch-fidelity)").at_least(1);
  d(&EvalSettings::kid_subset_size, "kid_subset_size", "samples and test examples in each KID subset (1000 as "
    "torch-fidelity; at most num)").at_least(2);
  d(&EvalSettings::is_splits, "is_splits", "parts of the samples the Inception score is computed on (Salimans et al. "
    "2016: 10)").at_least(1);
}

const std::vector<SectionSpec>& pipeline_sections() {
  static const std::vector<SectionSpec> sections = {
      {"", std::nullopt, declaration_of<RootSettings>().specs(), "top-level keys"},
      {"sde", PluginKind::Sde, {}, "the forward process"},
      {"network", PluginKind::Network, {}, "the score network (or analytic oracle)"},
      {"data", PluginKind::Dataset, {}, "the data set"},
      {"sampler", PluginKind::Sampler, {}, "the sampler `scoregen sample` uses"},
      {"guidance", PluginKind::Guidance, {}, "the class-guidance model"},
      {"objective", PluginKind::Objective, {}, "the training objective of `scoregen train`", "dsm"},
      {"train", std::nullopt, declaration_of<TrainSettings>().specs(), "settings of `scoregen train`"},
      {"sample", std::nullopt, declaration_of<SampleSettings>().specs(), "settings of `scoregen sample`"},
      {"nll", std::nullopt, declaration_of<NllSettings>().specs(), "settings of `scoregen nll`"},
      {"inpaint", std::nullopt, declaration_of<InpaintSettings>().specs(), "settings of `scoregen inpaint`"},
      {"eval", std::nullopt, declaration_of<EvalSettings>().specs(), "settings of `scoregen eval`"},
  };
  return sections;
}

}  // namespace scoregen::engine
