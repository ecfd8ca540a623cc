// score_sde_pytorch's configurations (configs/**.py of the code release of Song et al. 2021) as scoregen pipelines:
// the published NCSN++ / DDPM++ configs by name, or a TOML in score_sde's own layout ([training] sde, continuous;
// [data] image_size, num_channels, centered; [model] with score_sde's key names). docs/score_sde_networks.md.
#pragma once

#include <string>
#include <vector>

namespace scoregen::engine {

// The published config names this table knows ("vp/cifar10_ddpmpp_continuous", ...).
std::vector<std::string> score_sde_config_names();
// The pipeline (TOML text) of a published config name, or of a score_sde-layout TOML file: [sde], [network] ncsnpp
// with every option and its shape, and the [sampler] score_sde samples it with; a .toml that is already a scoregen
// pipeline (it has a [network]) as it is. `config_sets` ("model.nf=16", score_sde's own names) change the config
// before it is translated. An error names what does not map.
std::string score_sde_pipeline(const std::string& name_or_file, const std::vector<std::string>& config_sets = {});

}  // namespace scoregen::engine
