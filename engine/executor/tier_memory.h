// TierMemory: every byte the executor places, by tier (device, host, disk) and by use (weights,
// KV cache, activations, buffers). Blocks come from the backend's DeviceMemory (GPU memory and
// page-locked host memory on CUDA; on the CPU backend "device" memory is a budgeted RAM arena),
// counted against each tier's capacity, so a policy that would not fit a real GPU does not
// silently run. Disk bytes (KV files, store rows) are only counted.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "engine/core/tensor.h"
#include "engine/executor/executor_options.h"
#include "engine/backend/device_memory.h"

namespace strata {

enum class MemoryUse { weights, cache, activations, buffers };

struct TierUsage {
  uint64_t weights = 0, cache = 0, activations = 0, buffers = 0;
  uint64_t total() const { return weights + cache + activations + buffers; }
  uint64_t& operator[](MemoryUse use);
};

// Bytes per tier, indexed by Place.
struct TierBytes {
  std::array<TierUsage, 3> tiers{};
  TierUsage& operator[](Place p) { return tiers[size_t(p)]; }
  const TierUsage& operator[](Place p) const { return tiers[size_t(p)]; }
  void add(Place p, MemoryUse use, uint64_t bytes) { (*this)[p][use] += bytes; }
};

const char* to_string(Place place);
const char* to_string(MemoryUse use);

// "device: needs 1.3 GiB (weights 1.0 GiB, cache 0.2 GiB, activations 0.0 GiB, buffers 0.1 GiB)
// but has 1.0 GiB" for each tier that does not fit; empty when everything fits.
std::string capacity_problems(const TierBytes& need, const TierCapacities& capacities);

class TierMemory {
 public:
  TierMemory(TierCapacities capacities, DeviceMemory& device)
      : capacities_(capacities), device_(&device) {}

  // The backend's memory: where device blocks come from and how bytes cross to them.
  DeviceMemory& device() const { return *device_; }
  // A zero-filled block on the device or the host (4096-aligned there), counted; throws Error
  // when it would pass the tier's capacity (the plan checked beforehand makes that impossible).
  MemoryBlock allocate(Place place, MemoryUse use, size_t bytes);
  // Counts bytes that are not allocated here: disk files, and compute scratch that the ops
  // allocate themselves.
  void count(Place place, MemoryUse use, uint64_t bytes) { used_.add(place, use, bytes); }
  const TierBytes& used() const { return used_; }

 private:
  TierCapacities capacities_;
  DeviceMemory* device_;
  TierBytes used_;
};

}  // namespace strata
