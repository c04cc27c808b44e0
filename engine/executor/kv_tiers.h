// KvTiers: the homes of one block's KV cache — a device arena, a host arena and, for the disk
// share, one preallocated file per layer in a private OffloadFolder (removed with the object).
// Regions follow KvLayout, in its KvFormat (half, fp32 or compressed rows, the same bytes on every
// tier). Disk transfers are whole 4096-byte blocks of a sequence's rows (O_DIRECT); each layer
// file has a reader (the disk-read worker's) and a writer (the disk-write worker's), since a
// UringFile is driven by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/executor/kv_layout.h"
#include "engine/executor/offload_folder.h"
#include "engine/executor/tier_memory.h"
#include "offload/uring_file.h"

namespace strata {

class KvTiers {
 public:
  KvTiers(KvLayout layout, TierMemory& memory, const std::filesystem::path& offload_dir,
          const WarningSink& warn);

  const KvLayout& layout() const { return layout_; }
  const std::filesystem::path* folder() const { return folder_ ? &folder_->path() : nullptr; }

  // Start of region (j, k, p) in its device or host home: K [n, seq] then V [n, seq] (KvLayout).
  char* home(int64_t j, int64_t k, Place p) const;

  // K and V of each given disk row (physical rows of micro-batch k), slots [0, filled) rounded
  // up to whole blocks, from layer j's file into `staging` (laid out like the region).
  uint64_t read_disk(int64_t j, int64_t k, std::span<const int64_t> rows, int64_t filled,
                     char* staging);
  // The blocks holding slots [first, first + count) of each given disk row, from `staging`.
  uint64_t write_disk(int64_t j, int64_t k, std::span<const int64_t> rows, int64_t first,
                      int64_t count, const char* staging);

 private:
  struct LayerFile {
    UringFile reader;
    UringFile writer;
  };
  std::vector<IoRequest> requests(int64_t j, int64_t k, std::span<const int64_t> rows,
                                  uint64_t begin, uint64_t end, const char* staging) const;

  KvLayout layout_;
  MemoryBlock device_home_;
  MemoryBlock host_home_;
  std::optional<OffloadFolder> folder_;  // before files_: the files close before it is removed
  std::vector<LayerFile> files_;
};

}  // namespace strata
