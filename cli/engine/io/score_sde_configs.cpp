// score_sde_pytorch configurations -> scoregen pipelines (docs/score_sde_networks.md "Published configs").
#include "engine/io/score_sde_configs.hpp"

#include <filesystem>

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
  return out;
}

}  // namespace

std::vector<std::string> score_sde_config_names() {
  std::vector<std::string> names;
  for (const Published& p : published()) names.emplace_back(p.name);
  return names;
}

std::string score_sde_pipeline(const std::string& name_or_file) {
  for (const Published& p : published())
    if (name_or_file == p.name) return translate(toml::parse(layout_of(p)), p.name);
  if (extension(name_or_file) == ".py") {  // the user's own config file: its get_config(), run by Python
    const std::string text = score_sde_config_toml(name_or_file);
    try {
      return translate(toml::parse(text, name_or_file), name_or_file);
    } catch (const toml::parse_error& e) {
      throw Error(fmt::format("{}: its get_config() gave values that are not data ({})", name_or_file, e.description()));
    }
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
  if (cfg.contains("network")) return read_file(name_or_file);  // a scoregen pipeline already
  return translate(cfg, name_or_file);
}

}  // namespace scoregen::engine
