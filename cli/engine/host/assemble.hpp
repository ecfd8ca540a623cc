// assemble(): from a session and a checkpoint to everything a sampling or evaluating command uses: the network
// with its EMA weights on the device, the sampler, class guidance, the ScoreModel, the example shape and the
// mapping between model space and the data's own values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "engine/host/session.hpp"
#include "engine/host/smc_settings.hpp"
#include "engine/io/image_io.hpp"
#include "scoregen/guidance.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sampler.hpp"
#include "scoregen/score_model.hpp"

namespace scoregen::engine {

// Model space <-> the data's values: to_data() undoes a logit transform; range() is the range of to_data's
// values (what a picture maps to black and white).
struct DataMapping {
  std::shared_ptr<Dataset> data;  // null: identity, range `range_without_data` (the network's example_range())
  std::pair<double, double> range_without_data{-1.0, 1.0};
  at::Tensor to_data(const at::Tensor& x) const;
  std::pair<double, double> range() const;
  // Pixels in [0, 1] (evaluation classifiers).
  at::Tensor to_unit(const at::Tensor& x) const;
  // Writes model-space samples as .png (grid or scatter), .npy or .pt in the data's values.
  void save(const at::Tensor& x, const std::string& path, const PictureOptions& options = {}) const;
};

struct AssemblyRequest {
  std::string command;                    // for messages: "scoregen sample"
  std::string checkpoint;                 // the score network's weights (EMA used); empty: an analytic network
  bool sampler = false;                   // build [sampler]
  std::optional<std::int64_t> class_label;  // --class: guidance (or labels for a class-conditional network)
  double guidance_scale = 1.0;
  std::string guidance_checkpoint;        // a trained [guidance] classifier's weights
  SmcSettings guidance_smc;               // on: --class by sequential Monte Carlo ([sample] guidance = "smc")
  // The command uses the network's score or its ODE (nll, latents, score maps, a teacher) when it builds no sampler:
  // a consistency function has neither, and is refused. Export copies weights and may take one.
  bool uses_score = true;
};

struct Assembly {
  Session session;
  std::shared_ptr<Network> network;
  std::shared_ptr<Sampler> sampler;    // when requested
  std::shared_ptr<Guidance> guidance;  // when --class chose guidance
  std::unique_ptr<ScoreModel> model;   // its score is guided, except under guidance by SMC (which guides its moves)
  std::vector<std::int64_t> shape;     // one example: from [data], else from the network (analytic oracles)
  DataMapping mapping;
  // Guidance by SMC: the class label [1], the scale and the settings (the model's score stays unguided).
  at::Tensor smc_labels;
  double guidance_scale = 1.0;
  SmcSettings guidance_smc;
};

Assembly assemble(Session session, const AssemblyRequest& request);
// A consistency function (Song et al. 2023) maps a noisy point to its origin in one evaluation and has no score: only
// a consistency sampler uses one, and a consistency sampler needs one; without a sampler, a command that uses the score
// (request.uses_score) refuses it. An error naming the command otherwise.
void require_consistency_pairing(const Session& s, const Network& network, const Sampler* sampler,
                                 const AssemblyRequest& request);

// The [guidance] plugin of a session with its weights (a trained classifier needs a checkpoint), on the device.
std::shared_ptr<Guidance> load_guidance(const Session& session, const std::string& checkpoint, const std::string& needed_by);
// A checkpoint's stored tables are the truth about what its weights are: each of the session's `tables` (plugin and
// every option) must equal the checkpoint's, in the order given, else an error naming the first differing key. A
// table's `free_key` may differ.
struct TableCheck {
  std::string section, free_key;
};
void require_checkpoint_tables(const Session& session, const std::string& checkpoint, const std::vector<TableCheck>& tables);
// The examples a command evaluates: a .npy/.pt file when `file` is set, else the first `num` of a finite [data]
// set, else `num` fresh draws of a generator set; reshaped to `shape` and checked for NaN.
at::Tensor load_examples(const Session& session, const std::string& file, std::int64_t num,
                         const std::vector<std::int64_t>& shape);
// One example's shape as given fits the model's `shape`: the same, without a leading channel axis of 1 ([H, W] for
// [1, H, W]), or flat ([D]). Any other arrangement of the same number of values ([2, 1] for [2]) does not.
bool example_fits(at::IntArrayRef given, const std::vector<std::int64_t>& shape);
// Rows of examples (or latent codes) from a file or a data set, checked (at least one row, each of a shape
// example_fits accepts, finite) and reshaped to [N, shape]; `what` names them in the error.
at::Tensor as_rows(const at::Tensor& t, const std::vector<std::int64_t>& shape, const std::string& what);
// threads = 0 chosen by the work, once the example's shape is known: examples of fewer than 64 values (2-D toys, the
// oracles) run on one thread, where a second one only adds OpenMP's hand-offs (bench/threads_by_work.sh: a toy MLP
// trains 2x slower on two); larger ones keep the cores open_session gave. An explicit threads is left alone.
void settle_threads(const Session& session, const std::vector<std::int64_t>& example_shape);

}  // namespace scoregen::engine
