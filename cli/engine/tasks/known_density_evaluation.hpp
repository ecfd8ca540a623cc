// `scoregen eval` of a model whose data set knows its own density (toy mixtures): no classifier is needed, the
// samples are judged against the exact distribution.
#pragma once

#include <string>

#include "engine/host/assemble.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

// The mode weights of `num` samples (each assigned to its most probable component) against the exact weights, with
// their binomial standard errors (Song & Ermon 2019, Sec. 3.2 and Fig. 3: plain Langevin dynamics gets them wrong,
// annealed Langevin dynamics right); a sliced Wasserstein-1 distance to as many fresh data draws, beside the same
// distance between two independent data draws (the floor at this N); and, for a continuous SDE, the model's
// log-likelihood of `nll_num` data draws through the probability-flow ODE beside their exact log-likelihood.
Report evaluate_known_density(Assembly& a, std::int64_t num, std::int64_t batch, std::int64_t nll_num);

}  // namespace scoregen::engine
