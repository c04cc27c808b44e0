#include "engine/backend/cuda/cuda_device_memory.h"

#include <cstdlib>

#include "engine/backend/cuda/cuda_check.h"

namespace strata::cuda {

MemoryBlock CudaDeviceMemory::allocate_device(size_t bytes) {
  if (bytes == 0) return {};
  void* data = nullptr;
  STRATA_CUDA_CHECK(cudaMalloc(&data, bytes));
  MemoryBlock block(data, bytes, [](void* p) noexcept { cudaFree(p); });
  // Zero-filled as the CPU backend's blocks are; allocation is never in the hot loop.
  STRATA_CUDA_CHECK(cudaMemsetAsync(data, 0, bytes, compute_.get()));
  compute_.synchronize();
  return block;
}

MemoryBlock CudaDeviceMemory::allocate_host(size_t bytes) {
  MemoryBlock block = aligned_host_block(bytes);
  if (bytes == 0) return block;
  const cudaError_t err = cudaHostRegister(block.data(), bytes, cudaHostRegisterPortable);
  if (err == cudaSuccess) {
    void* data = block.data();
    block.release_ownership();
    return MemoryBlock(data, bytes, [](void* p) noexcept {
      cudaHostUnregister(p);  // status ignored: releasers never throw
      std::free(p);
    });
  }
  cudaGetLastError();  // handled here: later launch checks must not see it
  if (warn_ && !warned_.exchange(true)) {
    warn_(str_cat("could not pin ", bytes, " bytes of host memory (", cudaGetErrorName(err), ": ",
                  cudaGetErrorString(err),
                  "); using pageable memory, host<->device copies will be slower"));
  }
  return block;
}

cudaStream_t CudaDeviceMemory::stream(CopyQueue queue) const {
  switch (queue) {
    case CopyQueue::compute: return compute_.get();
    case CopyQueue::load: return load_.get();
    case CopyQueue::store: return store_.get();
  }
  return compute_.get();
}

void CudaDeviceMemory::copy(CopyQueue queue, void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return;
  // Unified addressing: the runtime tells device from host pointers.
  STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream(queue)));
}

void CudaDeviceMemory::finish(CopyQueue queue) {
  STRATA_CUDA_CHECK(cudaStreamSynchronize(stream(queue)));
}

}  // namespace strata::cuda
