#include "engine/backend/cuda/device_arena.h"

#include <utility>

#include "engine/backend/cuda/cuda_check.h"

namespace strata::cuda {

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t err = cudaMalloc(&data_, bytes);
  if (err != cudaSuccess) {
    data_ = nullptr;
    throw Error(str_cat("cudaMalloc of ", bytes, " bytes of device memory failed: ",
                        cudaGetErrorName(err), " (", cudaGetErrorString(err), ")"));
  }
}

DeviceBuffer::~DeviceBuffer() {
  if (data_) cudaFree(data_);  // status ignored: destructors never throw
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) cudaFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

size_t DeviceArena::cost(size_t bytes, size_t alignment) const {
  const uintptr_t base = reinterpret_cast<uintptr_t>(buffer_.data());
  const uintptr_t at = (base + used_ + alignment - 1) & ~uintptr_t(alignment - 1);
  return size_t(at - (base + used_)) + bytes;
}

void* DeviceArena::allocate(size_t bytes, size_t alignment) {
  STRATA_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0, "arena alignment ",
               alignment, " is not a power of two");
  const size_t need = cost(bytes, alignment);
  STRATA_CHECK(need <= capacity() - used_, "device arena of ", capacity(), " bytes has ",
               capacity() - used_, " free, ", bytes, " requested (alignment ", alignment, ")");
  char* p = static_cast<char*>(buffer_.data()) + used_ + (need - bytes);
  used_ += need;
  return p;
}

}  // namespace strata::cuda
