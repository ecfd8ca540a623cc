// A TOML value written back as pipeline text: what the migration of renamed keys and the score_sde config import
// put into the pipelines they write.
#pragma once

#include <string>

#include <toml++/toml.h>

namespace scoregen::engine {

// `n` as TOML text: strings quoted and escaped, floats keeping a decimal point (16.0), arrays and tables as toml++
// writes them.
std::string toml_value_text(const toml::node& n);

}  // namespace scoregen::engine
