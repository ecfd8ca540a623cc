// What a command's result needs in memory, checked before any work starts: a request that cannot fit is refused
// in one line saying how much it needs, instead of failing in the allocator hours later (or never finishing).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace scoregen::engine {

// Bytes this process can still allocate: MemAvailable of /proc/meminfo, else the physical memory.
double available_memory_bytes();
// Throws Error when `count` items of float32 `shape` (as a [count, shape] tensor) exceed the available memory;
// `what` says what they are and where the count came from ("--num / [sample] num: samples").
void require_memory_for(double count, const std::vector<std::int64_t>& shape, const std::string& what);
// The most bytes LibTorch held allocated on the CPU at once while `work` ran, counted by an allocator put in front of
// its own for that time (allocations made before `work` are not counted).
double peak_cpu_allocation(const std::function<void()>& work);

}  // namespace scoregen::engine
