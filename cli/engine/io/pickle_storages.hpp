// The tensor storages a torch archive's pickle (data.pkl) declares, read without unpickling: each persistent id
// ('storage', torch.<Type>Storage, key, device, numel) with the bytes it promises. A damaged archive whose record
// archive/data/KEY is shorter than that would be loaded by LibTorch as it is, and written past its end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scoregen::engine {

struct DeclaredStorage {
  std::string key;          // the record's name below data/
  std::uint64_t bytes = 0;  // numel times the element size of its type
};

// The storages of pickle `bytes` whose type and numel could be read (an unknown type or opcode ends the scan: what
// cannot be read is not checked, never refused). Reads only within `bytes`.
std::vector<DeclaredStorage> declared_storages(const std::string& bytes);

}  // namespace scoregen::engine
