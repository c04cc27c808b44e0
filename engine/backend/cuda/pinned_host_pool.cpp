#include "engine/backend/cuda/pinned_host_pool.h"

#include <cuda_runtime.h>

#include <utility>

#include "common/error.h"

namespace strata::cuda {

PinnedHostPool::PinnedHostPool(size_t capacity, const WarningSink& warn) : capacity_(capacity) {
  if (capacity == 0) return;
  // cudaHostAlloc returns page-aligned memory; portable so any device context may use it.
  const cudaError_t err = cudaHostAlloc(&pinned_, capacity, cudaHostAllocPortable);
  if (err == cudaSuccess) return;
  pinned_ = nullptr;
  cudaGetLastError();  // the failure is handled here; later launch checks must not see it
  pageable_ = AlignedBuffer(capacity);
  if (warn) {
    warn(str_cat("could not pin ", capacity, " bytes of host memory (", cudaGetErrorName(err),
                 ": ", cudaGetErrorString(err),
                 "); using pageable memory, host<->device copies will be slower"));
  }
}

PinnedHostPool::~PinnedHostPool() { release(); }

void PinnedHostPool::release() noexcept {
  if (pinned_) cudaFreeHost(pinned_);  // status ignored: destructors never throw
  pinned_ = nullptr;
}

PinnedHostPool::PinnedHostPool(PinnedHostPool&& other) noexcept
    : pinned_(std::exchange(other.pinned_, nullptr)),
      pageable_(std::move(other.pageable_)),
      capacity_(std::exchange(other.capacity_, 0)),
      used_(std::exchange(other.used_, 0)) {}

PinnedHostPool& PinnedHostPool::operator=(PinnedHostPool&& other) noexcept {
  if (this != &other) {
    release();
    pinned_ = std::exchange(other.pinned_, nullptr);
    pageable_ = std::move(other.pageable_);
    capacity_ = std::exchange(other.capacity_, 0);
    used_ = std::exchange(other.used_, 0);
  }
  return *this;
}

void* PinnedHostPool::allocate(size_t bytes, size_t alignment) {
  STRATA_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0, "host pool alignment ",
               alignment, " is not a power of two");
  const uintptr_t base = reinterpret_cast<uintptr_t>(data());
  const uintptr_t at = (base + used_ + alignment - 1) & ~uintptr_t(alignment - 1);
  const size_t need = size_t(at - (base + used_)) + bytes;
  STRATA_CHECK(need <= capacity_ - used_, "pinned host pool of ", capacity_, " bytes has ",
               capacity_ - used_, " free, ", bytes, " requested (alignment ", alignment, ")");
  used_ += need;
  return reinterpret_cast<void*>(at);
}

}  // namespace strata::cuda
