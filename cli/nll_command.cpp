// `scoregen nll`: exact log-likelihood and bits/dim through the probability-flow ODE.
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/checkpoint.hpp"
#include "scoregen/error.hpp"
#include "scoregen/io.hpp"
#include "scoregen/likelihood.hpp"
#include "scoregen/progress.hpp"
#include "scoregen/random.hpp"

namespace scoregen::cli {

int run_nll(int argc, char** argv) {
  cxxopts::Options options("scoregen nll",
                           "Log-likelihood (nats) and bits/dim of data under the model, by integrating the\n"
                           "probability-flow ODE with the instantaneous change of variables (RK45).\n"
                           "8-bit image data: with [nll] dequantize = K, each example is uniformly dequantized K times\n"
                           "and bits/dim gets the offset of its scaling (8 for [0,1], 7 for [-1,1]), comparable with\n"
                           "published figures; without dequantization bits/dim is not comparable.");
  options.positional_help("PIPELINE");
  add_common_options(options);
  options.add_options("likelihood")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("data", "evaluate the examples of this .npy/.pt file instead of [data]", cxxopts::value<std::string>())
      ("n,num", "number of examples (nll.num)", cxxopts::value<std::int64_t>())
      ("b,batch-size", "examples per ODE solve (nll.batch_size)", cxxopts::value<std::int64_t>())
      ("divergence", "rademacher, gaussian (Hutchinson) or exact (nll.divergence)", cxxopts::value<std::string>())
      ("o,out", "per-example CSV: index, log-likelihood (nats), bits/dim", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  std::vector<std::string> extra;
  if (args.count("num")) extra.push_back(fmt::format("nll.num={}", args["num"].as<std::int64_t>()));
  if (args.count("batch-size")) extra.push_back(fmt::format("nll.batch_size={}", args["batch-size"].as<std::int64_t>()));
  if (args.count("divergence")) extra.push_back(fmt::format("nll.divergence=\"{}\"", args["divergence"].as<std::string>()));
  std::string ckpt = args.count("checkpoint") ? args["checkpoint"].as<std::string>() : std::string();
  Session s = open_session(args, extra);
  const Options& cfg = s.pipeline->options("nll");
  const std::int64_t num = cfg.integer("num"), batch = cfg.integer("batch_size"), draws = cfg.integer("dequantize");
  if (num < 1) cfg.fail("num", "must be >= 1");
  if (batch < 1) cfg.fail("batch_size", "must be >= 1");
  if (draws < 0) cfg.fail("dequantize", "must be >= 0");
  LikelihoodOptions lo;
  lo.rtol = cfg.real("rtol"), lo.atol = cfg.real("atol"), lo.divergence = cfg.string("divergence");
  lo.n_probes = cfg.integer("n_probes");
  if (lo.n_probes < 1) cfg.fail("n_probes", "must be >= 1");
  std::string csv = args.count("out") ? args["out"].as<std::string>() : std::string();
  if (!csv.empty() && std::filesystem::path(csv).has_parent_path() &&
      !std::filesystem::is_directory(std::filesystem::path(csv).parent_path()))
    throw Error(fmt::format("{}: the folder does not exist", csv));

  require_continuous_time(*s.sde, "scoregen nll");
  auto network = load_network(s, ckpt, "scoregen nll");
  ScoreModel model(network, s.sde);
  model.set_device(s.device);
  std::vector<std::int64_t> shape = example_shape(s, *network);
  std::int64_t dim = 1;
  for (auto v : shape) dim *= v;
  at::Tensor data = load_examples(s, args, num, shape);

  // bits/dim convention (REFERENCE.md "Likelihood")
  const bool eight_bit = s.data && s.data->bits() == 8 && !args.count("data");
  double offset = 0;
  std::string convention = "continuous data: bits/dim = -log p / (D ln 2), no offset";
  if (eight_bit) {
    if (s.data->logit_lambda() > 0) throw Error("nll with a logit-transformed image set is not supported: use scale = \"unit\" or \"symmetric\"");
    const bool symmetric = s.data->range().first < 0;
    if (draws > 0) {
      offset = bits_per_dim_offset(symmetric);
      convention = fmt::format("8-bit data uniformly dequantized ((x 255 + U) / 256, {} draw(s) per example), scaled to {}: "
                               "bits/dim = -log p / (D ln 2) + {}", draws, symmetric ? "[-1, 1]" : "[0, 1]", offset);
    } else {
      convention = "8-bit data WITHOUT dequantization: the density of a discrete set is unbounded, so this bits/dim is "
                   "not comparable with published figures (set [nll] dequantize = 1 or more)";
    }
  } else if (draws > 0) {
    cfg.fail("dequantize", "dequantization applies to 8-bit image data only");
  }
  fmt::print(stderr, "nll: {} examples, divergence {}{}, RK45 rtol {} atol {}\n", data.size(0), lo.divergence,
             lo.divergence == "exact" ? "" : fmt::format(" ({} probe(s))", lo.n_probes), lo.rtol, lo.atol);

  at::Generator gen = s.generator(21);
  std::vector<at::Tensor> logps;
  const std::int64_t reps = draws > 0 ? draws : 1;
  Progress progress("nll", (data.size(0) + batch - 1) / batch * reps, !s.quiet);
  std::int64_t done = 0;
  for (std::int64_t r = 0; r < reps; ++r) {
    std::vector<at::Tensor> pass;
    for (std::int64_t i = 0; i < data.size(0); i += batch) {
      at::Tensor x = data.narrow(0, i, std::min(batch, data.size(0) - i)).to(s.device);
      if (draws > 0) x = dequantize_8bit(x, s.data->range().first < 0, gen);
      pass.push_back(log_likelihood(model, x, lo, gen).logp.cpu());
      progress.update(++done);
    }
    logps.push_back(at::cat(pass));
  }
  progress.finish();
  at::Tensor logp = at::stack(logps).mean(0);  // per example: mean over dequantization draws
  at::Tensor bpd = -logp / (static_cast<double>(dim) * std::log(2.0)) + offset;
  const double n = static_cast<double>(logp.size(0));
  auto se = [&](const at::Tensor& v) { return n > 1 ? v.std().item<double>() / std::sqrt(n) : 0.0; };
  if (!csv.empty()) {
    std::string text = "index,log_likelihood_nats,bits_per_dim\n";
    for (std::int64_t i = 0; i < logp.size(0); ++i)
      text += fmt::format("{},{:.8g},{:.8g}\n", i, logp[i].item<double>(), bpd[i].item<double>());
    write_file_atomic(csv, text);
  }
  fmt::print("convention: {}\n", convention);
  fmt::print("log-likelihood: {:.6f} +- {:.6f} nats per example (mean +- standard error, {} examples)\n",
             logp.mean().item<double>(), se(logp), logp.size(0));
  fmt::print("bits/dim: {:.6f} +- {:.6f}\n", bpd.mean().item<double>(), se(bpd));
  fmt::print("NFE: {} in total, wall time {:.2f} s\n", model.nfe(), progress.elapsed());
  return 0;
}

}  // namespace scoregen::cli
