// WeightTiers: the homes of every weight row on the device and the host (read once from the
// store), the store itself for disk rows, and the two steps that bring a stage to the device:
// read_disk_rows (disk → host staging, on the disk-read worker) and assemble (device + host +
// staged rows → a device working arena, on the host→device copy worker). stage_weights() gives
// the OptForward views of a stage, over its working arena or, for a device-resident stage, over
// the homes directly. Lives as long as the model is loaded, across blocks.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "engine/executor/tier_memory.h"
#include "engine/executor/weight_layout.h"
#include "engine/models/opt/opt_weights.h"
#include "offload/weight_store.h"

namespace strata {

// The views one stage computes with: globals for the embedding and head stages, one layer's
// weights for a decoder stage (the rest left empty).
struct StageWeights {
  OptWeights globals;
  OptLayerWeights layer;
};

class WeightTiers {
 public:
  // Reads the device and host rows of every tensor from the store into their homes.
  WeightTiers(WeightStore store, const OptConfig& config, const TierShares& shares,
              TierMemory& memory);

  const WeightLayout& layout() const { return layout_; }
  int64_t stage_count() const { return int64_t(layout_.stages.size()); }
  bool resident(int64_t stage) const { return layout_.stages[size_t(stage)].device_resident; }

  // Two working slots (device arena + host staging buffer) so that stage s+1 loads while stage
  // s computes. The caller orders the calls on a slot (the block executor, by events).
  static constexpr int kSlots = 2;
  // Disk rows of `stage` into the slot's staging buffer (the disk-read worker). Returns bytes.
  uint64_t read_disk_rows(int64_t stage, int slot);
  // Every row of `stage` into the slot's device arena (the host→device worker, on the load
  // queue, finished before it returns). Returns bytes.
  uint64_t assemble(int64_t stage, int slot);
  // Views of `stage` over the slot's arena, or over the homes for a device-resident stage.
  StageWeights stage_weights(int64_t stage, int slot) const;

  // The store's dtype of each tensor (for layouts computed before loading).
  static DTypeOf store_dtypes(const WeightStore& store);

 private:
  Tensor view(const WeightTensorLayout& t, char* bytes) const;
  // Bytes [begin, begin + length) of a stored tensor into device memory (through `bounce`, a host
  // buffer made on first use, when the device is not host-addressable).
  void read_to_device(const StoreTensor& stored, uint64_t begin, uint64_t length, char* device,
                      MemoryBlock& bounce);

  WeightStore store_;
  OptConfig config_;
  DeviceMemory& device_;
  WeightLayout layout_;
  MemoryBlock device_home_;
  MemoryBlock host_home_;
  std::array<MemoryBlock, kSlots> work_;     // device
  std::array<MemoryBlock, kSlots> staging_;  // host, 4096-aligned O_DIRECT targets
};

}  // namespace strata
