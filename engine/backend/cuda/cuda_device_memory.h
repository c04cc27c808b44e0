// CudaDeviceMemory: the CUDA backend's DeviceMemory. Device blocks are cudaMalloc allocations;
// host blocks are 4096-aligned RAM page-locked with cudaHostRegister (so O_DIRECT reads land in
// memory the copy engines read by DMA), falling back to pageable memory with one warning when the
// system refuses to pin. The compute queue is the backend's own stream, so copies queued there
// are ordered with its kernels; load and store are two more non-blocking streams, one per
// direction of the executor's workers. finish(q) synchronises that one stream, never the device.
#pragma once

#include <atomic>

#include "engine/backend/cuda/cuda_stream.h"
#include "engine/backend/device_memory.h"
#include "offload/uring_file_options.h"

namespace strata::cuda {

class CudaDeviceMemory final : public DeviceMemory {
 public:
  // compute: the backend's stream (outlives this object). warn: receives the pinning fallback.
  CudaDeviceMemory(const CudaStream& compute, WarningSink warn)
      : compute_(compute), warn_(std::move(warn)) {}

  bool host_addressable() const override { return false; }
  MemoryBlock allocate_device(size_t bytes) override;
  MemoryBlock allocate_host(size_t bytes) override;
  void copy(CopyQueue queue, void* dst, const void* src, size_t bytes) override;
  void finish(CopyQueue queue) override;

 private:
  cudaStream_t stream(CopyQueue queue) const;

  const CudaStream& compute_;
  CudaStream load_;
  CudaStream store_;
  WarningSink warn_;
  std::atomic<bool> warned_{false};
};

}  // namespace strata::cuda
