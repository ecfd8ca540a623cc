// The settings of each command's pipeline table and of the top-level keys, declared once with the SDK's
// Declaration, as plugins declare theirs: type, default, range and help come from here for `plugins info TABLE`,
// `help`, the pipeline's file:line errors and --set; the engine reads them back as these structs.
#pragma once

#include <cstdint>
#include <string>

#include <c10/core/ScalarType.h>

#include "scoregen/ode.hpp"
#include "scoregen/options.hpp"

namespace scoregen::engine {

struct RootSettings {  // top-level keys
  std::int64_t seed = 0;
  std::string device = "cpu";
  std::int64_t threads = 0;
  std::string precision = "float32";
  static void declare(Declaration<RootSettings>& d);
};

struct TrainSettings {  // [train]
  std::int64_t steps = 2000, batch_size = 256;
  double lr = 2e-3, beta1 = 0.9, weight_decay = 0.0;
  std::int64_t warmup = 100;
  double grad_clip = 1.0, ema = 0.999;
  std::int64_t checkpoint_every = 500, log_every = 50, sample_every = 0, sample_num = 16;
  at::ScalarType precision = at::kFloat;  // not a [train] key: the top-level `precision`, set by the training run
  static void declare(Declaration<TrainSettings>& d);
};

struct SampleSettings {  // [sample]
  std::int64_t num = 64, batch_size = 256;
  std::string out = "samples.png", guidance = "gradient";
  std::int64_t particles = 16, sweeps = 4;
  double ess_threshold = 0.5;
  static void declare(Declaration<SampleSettings>& d);
};

struct NllSettings {  // [nll]
  std::int64_t num = 256, batch_size = 128;
  double rtol = kOdeTolerance, atol = kOdeTolerance;
  std::string divergence = "rademacher";
  std::int64_t n_probes = 1;
  RealOrAuto dequantize{0.0, true};
  std::string data_values = "auto";
  static void declare(Declaration<NllSettings>& d);
};

struct InpaintSettings {  // [inpaint]
  std::int64_t num = 1;
  std::string method = "replace";
  std::int64_t particles = 16, sweeps = 4;
  double ess_threshold = 0.5;
  static void declare(Declaration<InpaintSettings>& d);
};

struct EvalSettings {  // [eval]
  std::int64_t num = 1000, batch_size = 250, nll_num = 64;
  std::int64_t kid_subsets = 100, kid_subset_size = 1000, is_splits = 10;
  static void declare(Declaration<EvalSettings>& d);
};

// The one declaration of S (its options in declaration order, and how a validated table fills an S).
template <class S>
const Declaration<S>& declaration_of() {
  static const Declaration<S> declared = [] {
    Declaration<S> d;
    S::declare(d);
    return d;
  }();
  return declared;
}
// A validated command table as its settings struct.
template <class S>
S settings_of(const Options& table) {
  return declaration_of<S>().bind(table);
}

}  // namespace scoregen::engine
