// The checks a checkpoint file passes before LibTorch parses any of it (corrupt TorchScript code can crash
// LibTorch's parser: found by tests/fuzz/checkpoint_loader_fuzz).
#pragma once

#include <string>

namespace scoregen::engine {

// Whether every member of the zip archive `d` has the CRC-32 its central directory records, stored or deflated.
bool members_intact(const std::string& d);
// Refuses (a scoregen::Error naming `path`) an archive with members other than those OutputArchive writes for a
// scoregen checkpoint, or with TorchScript code other than what it writes.
void require_scoregen_members(const std::string& d, const std::string& path);
// Refuses (an Error naming `path`) a torch zip archive `d` (a checkpoint, or a .pt of torch.save) in which a storage
// its pickle declares has a shorter record than its tensor needs: LibTorch would load it as it is and then read and
// write past its end. Not a zip archive: nothing to check here.
void require_complete_storages(const std::string& d, const std::string& path);

}  // namespace scoregen::engine
