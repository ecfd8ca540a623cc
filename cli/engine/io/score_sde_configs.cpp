// score_sde_pytorch configurations -> scoregen pipelines (docs/score_sde_networks.md "Published configs").
#include "engine/io/score_sde_configs.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "engine/io/files.hpp"
#include "engine/io/score_sde_import.hpp"
#include "engine/io/toml_text.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

namespace {

// One published NCSN++-class config (models/ncsnpp.py; "DDPM++" is the same class without FIR or progressive
// paths): what differs between them. Shared by all: biggan blocks, skip rescaling, FIR kernel (1, 3, 3, 1),
// "sum" combination, attention at 16, Fourier scale 16, 3 channels, sigma_min 0.01, beta 0.1 .. 20.
struct Published {
  const char* name;
  const char* sde;  // vesde, vpsde, subvpsde
  bool continuous;
  int image_size;
  int nf;
  std::vector<int> ch_mult;
  int blocks;
  bool fir;
  const char* progressive;
  const char* progressive_input;
  double dropout, sigma_max;
  int num_scales;
};

const std::vector<Published>& published() {
  static const std::vector<Published> table = {
      {"ve/cifar10_ncsnpp_continuous", "vesde", true, 32, 128, {1, 2, 2, 2}, 4, true, "none", "residual", 0.1, 50, 1000},
      {"ve/cifar10_ncsnpp_deep_continuous", "vesde", true, 32, 128, {1, 2, 2, 2}, 8, true, "none", "residual", 0.1, 50, 1000},
      {"ve/cifar10_ncsnpp", "vesde", false, 32, 128, {1, 2, 2, 2}, 4, true, "none", "residual", 0.1, 50, 1000},
      {"ve/celeba_ncsnpp", "vesde", false, 64, 128, {1, 2, 2, 2}, 4, true, "none", "residual", 0.1, 90, 1000},
      {"ve/bedroom_ncsnpp_continuous", "vesde", true, 256, 128, {1, 1, 2, 2, 2, 2, 2}, 2, true, "output_skip", "input_skip", 0, 378, 2000},
      {"ve/church_ncsnpp_continuous", "vesde", true, 256, 128, {1, 1, 2, 2, 2, 2, 2}, 2, true, "output_skip", "input_skip", 0, 380, 2000},
      {"ve/celebahq_256_ncsnpp_continuous", "vesde", true, 256, 128, {1, 1, 2, 2, 2, 2, 2}, 2, true, "output_skip", "input_skip", 0, 348, 2000},
      {"ve/ffhq_256_ncsnpp_continuous", "vesde", true, 256, 128, {1, 1, 2, 2, 2, 2, 2}, 2, true, "output_skip", "input_skip", 0, 348, 2000},
      {"ve/celebahq_ncsnpp_continuous", "vesde", true, 1024, 16, {1, 2, 4, 8, 16, 32, 32, 32}, 1, true, "output_skip", "input_skip", 0, 1348, 2000},
      {"ve/ffhq_ncsnpp_continuous", "vesde", true, 1024, 16, {1, 2, 4, 8, 16, 32, 32, 32}, 1, true, "output_skip", "input_skip", 0, 1348, 2000},
      {"vp/cifar10_ddpmpp_continuous", "vpsde", true, 32, 128, {1, 2, 2, 2}, 4, false, "none", "none", 0.1, 50, 1000},
      {"vp/cifar10_ddpmpp_deep_continuous", "vpsde", true, 32, 128, {1, 2, 2, 2}, 8, false, "none", "none", 0.1, 50, 1000},
      {"vp/cifar10_ddpmpp", "vpsde", false, 32, 128, {1, 2, 2, 2}, 4, false, "none", "none", 0.1, 50, 1000},
      {"vp/cifar10_ncsnpp_continuous", "vpsde", true, 32, 128, {1, 2, 2, 2}, 4, true, "none", "residual", 0.1, 50, 1000},
      {"vp/cifar10_ncsnpp_deep_continuous", "vpsde", true, 32, 128, {1, 2, 2, 2}, 8, true, "none", "residual", 0.1, 50, 1000},
      {"vp/cifar10_ncsnpp", "vpsde", false, 32, 128, {1, 2, 2, 2}, 4, true, "none", "residual", 0.1, 50, 1000},
      {"subvp/cifar10_ddpmpp_continuous", "subvpsde", true, 32, 128, {1, 2, 2, 2}, 4, false, "none", "none", 0.1, 50, 1000},
      {"subvp/cifar10_ddpmpp_deep_continuous", "subvpsde", true, 32, 128, {1, 2, 2, 2}, 8, false, "none", "none", 0.1, 50, 1000},
      {"subvp/cifar10_ncsnpp_continuous", "subvpsde", true, 32, 128, {1, 2, 2, 2}, 4, true, "none", "residual", 0.1, 50, 1000},
      {"subvp/cifar10_ncsnpp_deep_continuous", "subvpsde", true, 32, 128, {1, 2, 2, 2}, 8, true, "none", "residual", 0.1, 50, 1000},
  };
  return table;
}

// The published config in score_sde's layout: Fourier time features exactly for continuous VE, scale_by_sigma
// exactly for VE, centred data exactly for VP and sub-VP.
std::string layout_of(const Published& p) {
  const bool ve = std::string(p.sde) == "vesde";
  return fmt::format(
      "[training]\nsde = \"{}\"\ncontinuous = {}\n[data]\nimage_size = {}\nnum_channels = 3\ncentered = {}\n[model]\n"
      "name = \"ncsnpp\"\nnf = {}\nch_mult = [{}]\nnum_res_blocks = {}\nattn_resolutions = [16]\ndropout = {}\n"
      "fir = {}\nfir_kernel = [1, 3, 3, 1]\nskip_rescale = true\nresblock_type = \"biggan\"\nprogressive = \"{}\"\n"
      "progressive_input = \"{}\"\nprogressive_combine = \"sum\"\nembedding_type = \"{}\"\nfourier_scale = 16.0\n"
      "scale_by_sigma = {}\nsigma_min = 0.01\nsigma_max = {}\nnum_scales = {}\nbeta_min = 0.1\nbeta_max = 20.0\n"
      "[sampling]\nsnr = {}\n",
      p.sde, p.continuous, p.image_size, !ve, p.nf, fmt::join(p.ch_mult, ", "), p.blocks, p.dropout, p.fir,
      p.progressive, p.progressive_input, ve && p.continuous ? "fourier" : "positional", ve, p.sigma_max,
      p.num_scales, p.image_size == 256 ? 0.075 : p.image_size == 1024 ? 0.15 : 0.16);
}

const toml::node& require(const toml::table& t, const std::string& section, const std::string& key,
                          const std::string& source) {
  const toml::node* n = t.at_path(section + "." + key).node();
  if (!n) throw Error(fmt::format("{}: [{}] {} is missing (a score_sde_pytorch config needs it)", source, section, key));
  return *n;
}

// score_sde's layout -> a scoregen pipeline.
std::string translate(const toml::table& cfg, const std::string& source) {
  const std::string sde = require(cfg, "training", "sde", source).value_or(std::string());
  const std::string name = require(cfg, "model", "name", source).value_or(std::string());
  if (name != "ncsnpp")
    throw Error(fmt::format("{}: [model] name = \"{}\": scoregen reads score_sde_pytorch's NCSN++ and DDPM++ networks "
                            "(name = \"ncsnpp\"); the original DDPM and NCSN networks are not supported",
                            source, name));
  // Keys of score_sde's model config that the ncsnpp plugin has one value of: any other value is refused, not ignored
  const std::vector<std::pair<const char*, std::string>> fixed = {
      {"nonlinearity", "swish"}, {"normalization", "GroupNorm"}, {"attention_type", "ddpm"},
      {"conv_size", "3"},        {"resamp_with_conv", "true"},   {"conditional", "true"}};
  for (const auto& [k, supported] : fixed)
    if (const toml::node* n = cfg.at_path(std::string("model.") + k).node()) {
      const std::string given = n->is_string() ? n->value_or(std::string()) : toml_value_text(*n);
      if (given != supported)
        throw Error(fmt::format("{}: [model] {} = {}: the ncsnpp network implements {} only", source, k, given, supported));
    }
  std::string out = fmt::format("# A score_sde_pytorch model ({}), imported by `scoregen import score-sde`.\n", source);
  auto key = [&](const std::string& section, const std::string& k) { return toml_value_text(require(cfg, section, k, source)); };
  if (sde == "vesde") {
    out += fmt::format("[sde]\nplugin = \"ve\"\nsigma_min = {}\nsigma_max = {}\nN = {}\n", key("model", "sigma_min"),
                       key("model", "sigma_max"), key("model", "num_scales"));
  } else if (sde == "vpsde" || sde == "subvpsde") {
    out += fmt::format("[sde]\nplugin = \"{}\"\nbeta_min = {}\nbeta_max = {}\nN = {}\n", sde == "vpsde" ? "vp" : "subvp",
                       key("model", "beta_min"), key("model", "beta_max"), key("model", "num_scales"));
  } else {
    throw Error(fmt::format("{}: [training] sde = \"{}\" is not vesde, vpsde or subvpsde", source, sde));
  }
  const std::string size = key("data", "image_size"), channels = key("data", "num_channels");
  out += fmt::format("\n[network]\nplugin = \"ncsnpp\"\nshape = [{}, {}, {}]\ncentered = {}\ncontinuous = {}\n", channels,
                     size, size, key("data", "centered"), key("training", "continuous"));
  for (const char* k : {"nf", "ch_mult", "num_res_blocks", "attn_resolutions", "dropout", "fir", "fir_kernel",
                        "skip_rescale", "resblock_type", "progressive", "progressive_input", "progressive_combine",
                        "embedding_type", "fourier_scale", "scale_by_sigma"})
    out += fmt::format("{} = {}\n", k, key("model", k));
  // the samplers score_sde_pytorch's configs sample with: reverse diffusion + Langevin for VE (the config's
  // [sampling] snr: 0.16 for CIFAR-10, 0.075 at 256 px, 0.15 at 1024 px), Euler-Maruyama alone for VP and sub-VP
  const toml::node* snr = cfg.at_path("sampling.snr").node();
  out += sde == "vesde" ? fmt::format("\n[sampler]\nplugin = \"pc\"\npredictor = \"reverse-diffusion\"\ncorrector = "
                                      "\"langevin\"\nsnr = {}\n", snr ? toml_value_text(*snr) : "0.16")
                        : "\n[sampler]\nplugin = \"pc\"\npredictor = \"euler-maruyama\"\ncorrector = \"none\"\n";
  // score_sde's data are 8-bit images, and its bits/dim dequantizes them and adds 7 - inverse_scaler(-1)
  out += "\n# score_sde's data are 8-bit images: `nll --data` dequantizes an array of them and offsets bits/dim by 7\n"
         "# ([-1, 1]) or 8 ([0, 1]), as score_sde's likelihood evaluation reports it\n[nll]\ndata_values = \"8-bit\"\n";
  return out;
}

// score_sde_pytorch's config keys (configs/default_*_configs.py, the published configs): those the import reads...
const std::vector<std::string>& imported_keys() {
  static const std::vector<std::string> keys = {
      "training.sde", "training.continuous", "data.image_size", "data.num_channels", "data.centered", "model.name",
      "model.nf", "model.ch_mult", "model.num_res_blocks", "model.attn_resolutions", "model.dropout", "model.fir",
      "model.fir_kernel", "model.skip_rescale", "model.resblock_type", "model.progressive", "model.progressive_input",
      "model.progressive_combine", "model.embedding_type", "model.fourier_scale", "model.scale_by_sigma",
      "model.sigma_min", "model.sigma_max", "model.num_scales", "model.beta_min", "model.beta_max",
      "model.nonlinearity", "model.normalization", "model.attention_type", "model.conv_size",
      "model.resamp_with_conv", "model.conditional", "model.init_scale", "sampling.snr"};
  return keys;
}

// ... and those of its training, sampling and evaluation loops, which do not change the network.
const std::set<std::string>& loop_keys() {
  static const std::set<std::string> keys = {
      "training.batch_size", "training.n_iters", "training.snapshot_freq", "training.log_freq", "training.eval_freq",
      "training.snapshot_freq_for_preemption", "training.snapshot_sampling", "training.likelihood_weighting",
      "training.reduce_mean", "sampling.n_steps_each", "sampling.noise_removal", "sampling.probability_flow",
      "sampling.method", "sampling.predictor", "sampling.corrector", "eval.begin_ckpt", "eval.end_ckpt",
      "eval.batch_size", "eval.enable_sampling", "eval.num_samples", "eval.enable_loss", "eval.enable_bpd",
      "eval.bpd_dataset", "data.dataset", "data.random_flip", "data.uniform_dequantization", "model.ema_rate",
      "optim.weight_decay", "optim.optimizer", "optim.lr", "optim.beta1", "optim.eps", "optim.warmup",
      "optim.grad_clip", "seed", "device"};
  return keys;
}

// A --config-set value as TOML: Python's spellings (True, False, tuples) as score_sde's configs write them, a bare
// word as a string.
toml::node_view<toml::node> parsed_value(toml::table& holder, std::string text, const std::string& where) {
  if (text == "True" || text == "False") text = text == "True" ? "true" : "false";
  if (text.size() >= 2 && text.front() == '(' && text.back() == ')') text = "[" + text.substr(1, text.size() - 2) + "]";
  try {
    holder = toml::parse("v = " + text, where);
  } catch (const toml::parse_error&) {
    holder = toml::table{};
    holder.insert_or_assign("v", text);
  }
  return holder["v"];
}

// --config-set section.key=value on a config in score_sde's layout, by score_sde's own names; a key the import does
// not read, or that score_sde does not have, is a one-line error, and so is a value of another type.
void apply_config_sets(toml::table& cfg, const std::vector<std::string>& sets) {
  for (const std::string& set : sets) {
    const std::string where = "--config-set " + set;
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(fmt::format("{}: expected section.key=value in score_sde's names (e.g. model.nf=16)", where));
    const std::string path = set.substr(0, eq);
    if (loop_keys().count(path))
      throw Error(fmt::format("{}: score_sde's {} sets its training, sampling or evaluation loop and does not change the "
                              "imported model; scoregen's own keys (--set) set those here", where, path));
    if (std::find(imported_keys().begin(), imported_keys().end(), path) == imported_keys().end()) {
      const std::string section = path.substr(0, path.find('.'));
      std::vector<std::string> known;
      for (const std::string& k : imported_keys())
        if (k.rfind(section + ".", 0) == 0) known.push_back(k);
      throw Error(fmt::format("{}: score_sde_pytorch's configs have no key {} ({})", where, path,
                              known.empty() ? fmt::format("the sections are training, data, model and sampling")
                                            : fmt::format("its {} keys the import reads: {}", section, fmt::join(known, ", "))));
    }
    toml::table holder;
    toml::node& value = *parsed_value(holder, set.substr(eq + 1), where).node();
    const std::string section = path.substr(0, path.find('.')), key = path.substr(path.find('.') + 1);
    if (const toml::node* old = cfg.at_path(path).node()) {
      const bool widened = old->is_floating_point() && value.is_integer();
      if (old->type() != value.type() && !widened)
        throw Error(fmt::format("{}: score_sde's {} is {} ({}), and {} is not", where, path, toml_value_text(*old),
                                old->is_string() ? "a string" : old->is_boolean() ? "True or False"
                                : old->is_integer() ? "a whole number" : old->is_array() ? "a list" : "a number",
                                toml_value_text(value)));
      if (widened) {
        cfg[section].as_table()->insert_or_assign(key, static_cast<double>(*value.value<std::int64_t>()));
        continue;
      }
    }
    if (!cfg.contains(section)) cfg.insert(section, toml::table{});
    cfg[section].as_table()->insert_or_assign(key, std::move(value));
  }
}

}  // namespace

std::vector<std::string> score_sde_config_names() {
  std::vector<std::string> names;
  for (const Published& p : published()) names.emplace_back(p.name);
  return names;
}

std::string score_sde_pipeline(const std::string& name_or_file, const std::vector<std::string>& config_sets) {
  const std::string source =
      config_sets.empty() ? name_or_file : fmt::format("{} with --config-set {}", name_or_file, fmt::join(config_sets, " "));
  auto translated = [&](toml::table cfg) {
    apply_config_sets(cfg, config_sets);
    return translate(cfg, source);
  };
  for (const Published& p : published())
    if (name_or_file == p.name) return translated(toml::parse(layout_of(p)));
  if (extension(name_or_file) == ".py") {  // the user's own config file: its get_config(), run by Python
    const std::string text = score_sde_config_toml(name_or_file);
    toml::table cfg;
    try {
      cfg = toml::parse(text, name_or_file);
    } catch (const toml::parse_error& e) {
      throw Error(fmt::format("{}: its get_config() gave values that are not data ({})", name_or_file, e.description()));
    }
    return translated(std::move(cfg));
  }
  if (extension(name_or_file) != ".toml")
    throw Error(fmt::format("--config {}: not a published config this table knows ({}), a .py config file nor a .toml "
                            "file", name_or_file, fmt::join(score_sde_config_names(), ", ")));
  toml::table cfg;
  try {
    cfg = toml::parse_file(name_or_file);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}:{}:{}: {}", name_or_file, e.source().begin.line, e.source().begin.column, e.description()));
  }
  if (cfg.contains("network")) {  // a scoregen pipeline already
    if (!config_sets.empty())
      throw Error(fmt::format("--config-set {}: {} is a scoregen pipeline, not a score_sde config; change it with --set",
                              config_sets.front(), name_or_file));
    return read_file(name_or_file);
  }
  return translated(std::move(cfg));
}

}  // namespace scoregen::engine
