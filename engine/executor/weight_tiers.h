// WeightTiers: the homes of every weight row on the device and the host (read once from the
// weight source), the source itself for disk rows (a store), and the two steps that bring a
// stage to the device: read_disk_rows (disk → host staging, on the disk-read worker) and
// assemble (device + host + staged rows → a device working arena, on the host→device copy
// worker). stage_weights() gives a stage's views by role (the family's forward pieces read
// them), over its working arena or, for a device-resident stage, over the homes directly. Lives
// as long as the model is loaded, across blocks.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "engine/executor/row_ranges.h"
#include "engine/executor/tier_memory.h"
#include "engine/executor/weight_layout.h"
#include "engine/io/weight_source.h"
#include "engine/models/stage_weights.h"
#include "engine/models/tensor_table.h"

namespace strata {

class WeightTiers {
 public:
  // Reads the device and host rows of every tensor of the table from the source into their
  // homes. InputError when the source lacks a tensor or disagrees on its shape, or when rows are
  // placed on disk and the source is not a store.
  WeightTiers(std::unique_ptr<WeightSource> source, const TensorTable& table,
              const Placement& shares, TierMemory& memory);

  const WeightLayout& layout() const { return layout_; }
  int64_t stage_count() const { return int64_t(layout_.stages.size()); }
  bool resident(int64_t stage) const { return layout_.stages[size_t(stage)].device_resident; }

  // Two working slots (device arena + host staging buffer) so that stage s+1 loads while stage
  // s computes. The caller orders the calls on a slot (the block executor, by events).
  static constexpr int kSlots = 2;
  // Disk rows of `stage` into the slot's staging buffer (the disk-read worker). Returns bytes.
  // `ranges` (nullptr: every row) picks rows per tensor; each lands at its own place.
  uint64_t read_disk_rows(int64_t stage, int slot, const StageRanges* ranges = nullptr);
  // Every row of `stage` (or those of `ranges`, at their own places: the rest of the arena is
  // left as it was) into the slot's device arena (the host→device worker, on the load queue,
  // finished before it returns). Returns bytes.
  uint64_t assemble(int64_t stage, int slot, const StageRanges* ranges = nullptr);
  // Views of `stage` over the slot's arena, or over the homes for a device-resident stage.
  StageWeights stage_weights(int64_t stage, int slot) const;

  // The source's format of each tensor (for layouts computed before loading).
  static DTypeOf source_formats(const WeightSource& source);

 private:
  Tensor view(const WeightTensorLayout& t, char* bytes) const;
  // Bytes [begin, begin + length) of a stored tensor into device memory (through `bounce`, a host
  // buffer made on first use, when the device is not host-addressable).
  void read_to_device(const std::string& name, uint64_t begin, uint64_t length,
                      uint64_t row_bytes, char* device, MemoryBlock& bounce);

  std::unique_ptr<WeightSource> source_;
  DeviceMemory& device_;
  WeightLayout layout_;
  MemoryBlock device_home_;
  MemoryBlock host_home_;
  std::array<MemoryBlock, kSlots> work_;     // device
  std::array<MemoryBlock, kSlots> staging_;  // host, 4096-aligned O_DIRECT targets
};

}  // namespace strata
