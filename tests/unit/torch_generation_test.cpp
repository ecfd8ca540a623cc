// What differs between the LibTorch generations (scoregen/torch_compat.hpp, docs/building.md): the autocast state
// set through the device-typed calls is the state LibTorch's autocast reads and AutocastScope restores, and a CUDA
// LibTorch compiles the NCCL path.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include "engine/host/process_group.hpp"
#include "scoregen/autocast.hpp"
#include "scoregen/torch_compat.hpp"
#include "scoregen_build_config.hpp"

namespace compat = scoregen::torch_compat;

TEST(TorchGeneration, AutocastStateIsWhatLibTorchsAutocastUses) {
  const auto cpu = c10::DeviceType::CPU;
  ASSERT_FALSE(compat::autocast_enabled(cpu));
  const at::Tensor a = at::randn({8, 8}), b = at::randn({8, 8});
  {
    scoregen::AutocastScope scope(c10::Device(at::kCPU), at::kBFloat16);
    EXPECT_TRUE(compat::autocast_enabled(cpu));
    EXPECT_EQ(compat::autocast_dtype(cpu), at::kBFloat16);
    // the matrix product runs in the scope's dtype: LibTorch reads the state the compat calls set
    EXPECT_EQ(at::mm(a, b).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(compat::autocast_enabled(cpu));
  EXPECT_EQ(at::mm(a, b).scalar_type(), at::kFloat);
  // set directly (LibTorch 1.13's CPU autocast takes bf16 only), seen by LibTorch, then cleared
  compat::set_autocast_dtype(cpu, at::kBFloat16);
  compat::set_autocast_enabled(cpu, true);
  EXPECT_EQ(at::mm(a, b).scalar_type(), at::kBFloat16);
  compat::set_autocast_enabled(cpu, false);
  at::autocast::clear_cache();
  EXPECT_EQ(at::mm(a, b).scalar_type(), at::kFloat);
}

TEST(TorchGeneration, ACudaLibTorchCompilesTheNcclPath) {
  // CI's LibTorch 2.11 (CUDA 13) build must compile ProcessGroupNCCL; Debian's CPU LibTorch cannot.
  EXPECT_EQ(scoregen::engine::ProcessGroup::nccl_compiled(), SCOREGEN_TORCH_CUDA == 1);
}
