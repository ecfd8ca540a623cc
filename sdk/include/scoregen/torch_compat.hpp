// What differs between the LibTorch generations scoregen builds against (Debian's 1.13 and PyTorch 2.x), in one
// place: every version test in the tree is here, behind torch/version.h (docs/building.md).
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>
#include <torch/version.h>

#include "scoregen/api.hpp"

// True when the LibTorch being compiled against is at least major.minor.
#define SCOREGEN_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// c10d: from PyTorch 2.0 on, ProcessGroupGloo and ProcessGroupNCCL are backends (c10d::Backend) behind a
// c10d::ProcessGroup, not process groups themselves (pytorch PRs #88330, #90997). The collectives scoregen calls
// (allreduce, barrier) are members of both.
namespace c10d {
class Backend;
class ProcessGroup;
}  // namespace c10d

// ProcessGroupNCCL::shutdown(), the C++ side of Python's destroy_process_group (PyTorch 2.2 on).
#define SCOREGEN_C10D_NCCL_SHUTDOWN SCOREGEN_TORCH_AT_LEAST(2, 2)

namespace scoregen::torch_compat {

#if SCOREGEN_TORCH_AT_LEAST(2, 0)
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif

// Autocast state of one device type (CPU or CUDA): PyTorch 2.4 replaced the per-device calls (is_cpu_enabled,
// set_autocast_gpu_dtype, ...) by device-typed ones (pytorch PR #124359).
SCOREGEN_API bool autocast_enabled(c10::DeviceType device);
SCOREGEN_API void set_autocast_enabled(c10::DeviceType device, bool enabled);
SCOREGEN_API c10::ScalarType autocast_dtype(c10::DeviceType device);
SCOREGEN_API void set_autocast_dtype(c10::DeviceType device, c10::ScalarType dtype);

}  // namespace scoregen::torch_compat
