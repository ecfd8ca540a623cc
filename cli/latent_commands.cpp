// `scoregen encode`, `decode`, `interpolate`: latent codes along the probability-flow ODE (seed 001 sec. 4.3).
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"
#include "scoregen/error.hpp"
#include "scoregen/io.hpp"
#include "scoregen/likelihood.hpp"

namespace scoregen::cli {

namespace {

void add_latent_options(cxxopts::Options& options) {
  add_common_options(options);
  options.add_options("latent")
      ("c,checkpoint", "trained weights (EMA used); its stored pipeline when no PIPELINE", cxxopts::value<std::string>())
      ("rtol", "RK45 relative tolerance", cxxopts::value<double>()->default_value("1e-5"))
      ("atol", "RK45 absolute tolerance", cxxopts::value<double>()->default_value("1e-5"))
      ("o,out", "output file (.npy, .pt, or .png for data)", cxxopts::value<std::string>());
}

std::string required_out(const cxxopts::ParseResult& args, const char* command) {
  if (!args.count("out")) throw Error(fmt::format("scoregen {}: --out FILE is required", command));
  std::string out = args["out"].as<std::string>();
  check_output_extension(out);
  return out;
}

at::Tensor read_tensor(const std::string& path) {
  const bool pt = path.size() > 3 && path.substr(path.size() - 3) == ".pt";
  return (pt ? load_pt(path) : load_npy(path)).to(at::kFloat);
}

struct Loaded {
  Session s;
  std::shared_ptr<Network> network;
  std::unique_ptr<ScoreModel> model;
  std::vector<std::int64_t> shape;
};

Loaded load(const cxxopts::ParseResult& args, const char* command) {
  Loaded l{open_session(args, {}), nullptr, nullptr, {}};
  const std::string ckpt = args.count("checkpoint") ? args["checkpoint"].as<std::string>() : std::string();
  l.network = load_network(l.s, ckpt, fmt::format("scoregen {}", command));
  l.model = std::make_unique<ScoreModel>(l.network, l.s.sde);
  l.model->set_device(l.s.device);
  l.shape = example_shape(l.s, *l.network);
  return l;
}

at::Tensor latent_input(const Loaded& l, const std::string& path) {
  at::Tensor z = read_tensor(path);
  std::int64_t dim = 1;
  for (auto v : l.shape) dim *= v;
  if (z.dim() == 0 || z[0].numel() != dim)
    throw Error(fmt::format("{}: latents of shape [{}] do not fit the model's [N, {}]", path, fmt::join(z.sizes(), ", "),
                            fmt::join(l.shape, ", ")));
  if (!at::isfinite(z).all().item<bool>()) throw Error(fmt::format("{}: latents contain NaN or infinite values", path));
  std::vector<std::int64_t> full{z.size(0)};
  full.insert(full.end(), l.shape.begin(), l.shape.end());
  return z.reshape(full);
}

void write_data(const Loaded& l, const at::Tensor& x, const std::string& out) {
  double lo = -1, hi = 1;
  at::Tensor y = x;
  if (l.s.data) {
    y = l.s.data->to_data(x);
    std::tie(lo, hi) = l.s.data->range();
    if (l.s.data->logit_lambda() > 0) lo = 0, hi = 1;
  }
  save_samples(y, out, lo, hi);
}

}  // namespace

int run_encode(int argc, char** argv) {
  cxxopts::Options options("scoregen encode", "Map data to latent codes x(T) by integrating the PF-ODE from eps to T.");
  options.positional_help("PIPELINE");
  add_latent_options(options);
  options.add_options("latent")("data", "examples (.npy/.pt) instead of [data]", cxxopts::value<std::string>())(
      "n,num", "number of examples", cxxopts::value<std::int64_t>()->default_value("16"));
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  const std::string out = required_out(args, "encode");
  Loaded l = load(args, "encode");
  at::Tensor x = load_examples(l.s, args, args["num"].as<std::int64_t>(), l.shape).to(l.s.device);
  torch::NoGradGuard guard;
  OdeResult r = encode(*l.model, x, args["rtol"].as<double>(), args["atol"].as<double>());
  save_samples(r.y.cpu(), out, -1, 1);
  fmt::print("encode: {} examples -> {} (NFE {})\n", x.size(0), out, r.nfe);
  return 0;
}

int run_decode(int argc, char** argv) {
  cxxopts::Options options("scoregen decode", "Map latent codes back to data by integrating the PF-ODE from T to eps.");
  options.positional_help("PIPELINE");
  add_latent_options(options);
  options.add_options("latent")("latent", "latent codes (.npy/.pt) from encode", cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  if (!args.count("latent")) throw Error("scoregen decode: --latent FILE is required");
  const std::string out = required_out(args, "decode");
  Loaded l = load(args, "decode");
  at::Tensor z = latent_input(l, args["latent"].as<std::string>()).to(l.s.device);
  torch::NoGradGuard guard;
  OdeResult r = decode(*l.model, z, args["rtol"].as<double>(), args["atol"].as<double>());
  write_data(l, r.y.cpu(), out);
  fmt::print("decode: {} latents -> {} (NFE {})\n", z.size(0), out, r.nfe);
  return 0;
}

int run_interpolate(int argc, char** argv) {
  cxxopts::Options options("scoregen interpolate",
                           "Decode a spherical interpolation between two latent codes (rows 0 and 1 of --latent,\n"
                           "or --from/--to rows); a .png output is an image strip.");
  options.positional_help("PIPELINE");
  add_latent_options(options);
  options.add_options("latent")("latent", "latent codes (.npy/.pt) from encode", cxxopts::value<std::string>())(
      "from", "first row", cxxopts::value<std::int64_t>()->default_value("0"))(
      "to", "second row", cxxopts::value<std::int64_t>()->default_value("1"))(
      "steps", "points along the path, ends included", cxxopts::value<std::int64_t>()->default_value("8"));
  cxxopts::ParseResult args;
  if (!parse_command_line(options, argc, argv, args)) return 0;
  if (!args.count("latent")) throw Error("scoregen interpolate: --latent FILE is required");
  const std::string out = required_out(args, "interpolate");
  Loaded l = load(args, "interpolate");
  at::Tensor z = latent_input(l, args["latent"].as<std::string>());
  const std::int64_t a = args["from"].as<std::int64_t>(), b = args["to"].as<std::int64_t>(), n = args["steps"].as<std::int64_t>();
  if (a < 0 || b < 0 || a >= z.size(0) || b >= z.size(0))
    throw Error(fmt::format("--from/--to must be rows of the {} latents", z.size(0)));
  if (n < 2) throw Error("--steps must be >= 2");
  at::Tensor path = slerp(z[a], z[b], at::linspace(0.0, 1.0, n, at::kDouble)).to(l.s.device);
  torch::NoGradGuard guard;
  OdeResult r = decode(*l.model, path, args["rtol"].as<double>(), args["atol"].as<double>());
  at::Tensor x = r.y.cpu();
  if (x.dim() == 4 && out.size() > 4 && out.substr(out.size() - 4) == ".png") {
    double lo = -1, hi = 1;
    if (l.s.data) std::tie(lo, hi) = l.s.data->range();
    save_image_grid(l.s.data ? l.s.data->to_data(x) : x, out, lo, hi, static_cast<int>(n));
  } else {
    write_data(l, x, out);
  }
  fmt::print("interpolate: {} points between latents {} and {} -> {} (NFE {})\n", n, a, b, out, r.nfe);
  return 0;
}

}  // namespace scoregen::cli
