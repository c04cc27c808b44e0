// PinnedHostPool: one block of page-locked host memory (cudaHostAlloc), carved like DeviceArena
// by a bump allocator, so host<->device copies from and to it run as asynchronous DMA. When the
// system refuses to pin that much (RLIMIT_MEMLOCK, a container's limits), the pool falls back to
// ordinary pageable memory, 4096-byte aligned, and says so once through the warning sink: copies
// then still work but cudaMemcpyAsync stages them synchronously through a driver buffer.
#pragma once

#include <cstddef>

#include "offload/aligned_buffer.h"
#include "offload/uring_file_options.h"

namespace strata::cuda {

class PinnedHostPool {
 public:
  static constexpr size_t kDefaultAlignment = 4096;  // O_DIRECT-ready, like AlignedBuffer

  PinnedHostPool() = default;
  // `warn` may be empty (no warning). Throws strata::Error only when even pageable memory fails.
  PinnedHostPool(size_t capacity, const WarningSink& warn);
  ~PinnedHostPool();
  PinnedHostPool(PinnedHostPool&& other) noexcept;
  PinnedHostPool& operator=(PinnedHostPool&& other) noexcept;
  PinnedHostPool(const PinnedHostPool&) = delete;
  PinnedHostPool& operator=(const PinnedHostPool&) = delete;

  bool pinned() const { return pinned_ != nullptr; }
  void* data() const { return pinned_ ? pinned_ : pageable_.data(); }
  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }

  // `bytes` bytes aligned to `alignment` (a power of two); throws strata::Error when full.
  void* allocate(size_t bytes, size_t alignment = kDefaultAlignment);
  void reset() { used_ = 0; }

 private:
  void release() noexcept;

  void* pinned_ = nullptr;      // cudaHostAlloc'd, or null
  AlignedBuffer pageable_;      // the fallback
  size_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace strata::cuda
