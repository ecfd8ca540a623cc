// Datasets: batches of examples (and labels) with their shape and value range.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "scoregen/batch_random.hpp"
#include "scoregen/plugin.hpp"

namespace scoregen {

struct Batch {
  at::Tensor x;  // [B, ...] float32
  at::Tensor y;  // [B] int64, or undefined for unlabelled data
};

class SCOREGEN_API Dataset : public Component {
 public:
  // Shape of one example, e.g. {2} or {1, 28, 28}.
  virtual std::vector<std::int64_t> shape() const = 0;
  // Number of stored examples; 0 for a generator of unlimited fresh draws (toy sets).
  virtual std::int64_t size() const = 0;
  virtual std::int64_t num_classes() const { return 0; }
  // Value range of the examples after the dataset's transforms.
  virtual std::pair<double, double> range() const = 0;
  // rng.count() random examples (with the dataset's random transforms applied), every draw from `rng`: example i's
  // depends only on its position in the global batch, so a data-parallel run draws what one process draws.
  virtual Batch sample(BatchRandom& rng) = 0;
  // Examples [start, start + count) in order, without random transforms (finite sets only).
  virtual Batch get(std::int64_t start, std::int64_t count);
  // Maps model-space values back to the data range (inverts a logit transform); identity by default.
  virtual at::Tensor to_data(const at::Tensor& x) const { return x; }
  // 8 for 8-bit data (images), 0 for continuous data: decides dequantization and the bits/dim offset.
  virtual int bits() const { return 0; }
  // The lambda of a logit transform mapping the data to model space (its Jacobian enters the likelihood); 0: none.
  virtual double logit_lambda() const { return 0.0; }
  // For data sets that know their density exactly (toy mixtures): the class each example [B, ...] most probably came
  // from, argmax_y p(y | x), as int64 [B]; undefined otherwise. `scoregen eval` measures the mode weights of
  // samples with it (Song & Ermon 2019, Sec. 3.2: Langevin dynamics gets them wrong, annealing gets them right).
  virtual at::Tensor assign(const at::Tensor& x) const { return at::Tensor(); }
  // The exact class probabilities p(y) where known (toy mixtures); empty otherwise.
  virtual std::vector<double> class_weights() const { return {}; }
  // Where the density is known in closed form (toy mixtures): log p_t(x) and grad_x log p_t(x) of the data diffused
  // by the kernel N(a x0, std^2 I), with a and std [B] (a = 1, std = 0: the data themselves); undefined otherwise.
  // `scoregen score-map` compares a trained score with it (Song & Ermon 2019, Fig. 2).
  virtual at::Tensor exact_log_prob(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
    return at::Tensor();
  }
  virtual at::Tensor exact_score(const at::Tensor& x, const at::Tensor& a, const at::Tensor& std) const {
    return at::Tensor();
  }
};

}  // namespace scoregen
