// IDX files of unsigned bytes (MNIST, Fashion-MNIST), gzip-compressed or plain: the idx data set's reader, on its
// own so that the fuzz target tests/fuzz/idx_reader_fuzz.cpp reads files exactly as the plugin does.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace scoregen::plugins {

// The bytes of the file at `path`, gzip-compressed or plain (zlib's gzread reads both); a missing, unreadable or
// corrupt file is a scoregen::Error naming it. The IDX reader's, and the CIFAR-10 data set's.
std::string read_maybe_gz(const std::string& path);

// The tensor [d0, ..., d(n-1)] (uint8) of the IDX file at `path`, which must have `expected_dims` dimensions; any
// malformed file is a scoregen::Error naming it.
at::Tensor read_idx(const std::string& path, int expected_dims);

}  // namespace scoregen::plugins
