// NumPy .npz files: a zip archive of .npy members, as numpy.savez (stored) and numpy.savez_compressed (deflated)
// write them; the Frechet statistics files of pytorch-fid, clean-fid and EDM are such files.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace scoregen::engine {

// The arrays of an .npz file by name (the member's name without ".npy"); an error naming `path` for what is not
// such a file, a damaged member, or a member that is not a .npy array.
std::map<std::string, at::Tensor> load_npz(const std::string& path);
// Writes `arrays` as numpy.savez does (stored members NAME.npy), atomically.
void save_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays);

}  // namespace scoregen::engine
