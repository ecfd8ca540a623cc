// Arrays on disk: NumPy .npy and .pt files (a tensor pickled as Python's torch.save does).
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace scoregen::engine {

void save_npy(const at::Tensor& tensor, const std::string& path);
at::Tensor load_npy(const std::string& path);
// The bytes of a .npy file (format 1.0) holding `tensor`, and the array in such bytes (errors name `path`).
std::string npy_bytes(const at::Tensor& tensor);
at::Tensor parse_npy(const std::string& data, const std::string& path);
void save_pt(const at::Tensor& tensor, const std::string& path);
at::Tensor load_pt(const std::string& path);
// Whether every element `t` addresses lies within its storage: a damaged file can hold a storage shorter than the
// shape its tensor promises, which LibTorch would read past.
bool within_storage(const at::Tensor& t);
// A .pt or .npy file by its extension, in the type it was stored in (uint8 pixels stay uint8).
at::Tensor load_stored_array(const std::string& path);
// The same as float32.
at::Tensor load_array(const std::string& path);

}  // namespace scoregen::engine
