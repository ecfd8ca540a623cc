// Score <-> noise <-> data conversions (Ho et al. 2020, sec. 3.2; docs/formulas.md "Parameterisations").
#include "scoregen/parameterization.hpp"

#include <ATen/ATen.h>

#include "scoregen/sde.hpp"

namespace scoregen {

at::Tensor to_score(Prediction kind, const at::Tensor& out, const at::Tensor& x, const at::Tensor& a,
                    const at::Tensor& s) {
  switch (kind) {
    case Prediction::Score: return out;
    // score = -eps_hat / s (x_t = a x0 + s eps)
    case Prediction::Noise: return -out / batch_view(s, x);
    // score = (a x0_hat - x_t) / s^2
    case Prediction::Data: return (batch_view(a, x) * out - x) / batch_view(s * s, x);
  }
  return out;
}

at::Tensor from_score(Prediction kind, const at::Tensor& score, const at::Tensor& x, const at::Tensor& a,
                      const at::Tensor& s) {
  switch (kind) {
    case Prediction::Score: return score;
    // eps = -s * score
    case Prediction::Noise: return -batch_view(s, x) * score;
    // x0 = (x_t + s^2 score) / a  (Tweedie)
    case Prediction::Data: return (x + batch_view(s * s, x) * score) / batch_view(a, x);
  }
  return score;
}

}  // namespace scoregen
