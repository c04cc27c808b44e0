#include "engine/backend/device_memory.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "offload/aligned_buffer.h"

namespace strata {

MemoryBlock& MemoryBlock::operator=(MemoryBlock&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    release_ = std::exchange(other.release_, nullptr);
  }
  return *this;
}

void MemoryBlock::reset() noexcept {
  if (data_ != nullptr && release_ != nullptr) release_(data_);
  data_ = nullptr;
  size_ = 0;
}

MemoryBlock aligned_host_block(size_t bytes) {
  if (bytes == 0) return {};
  const size_t rounded = AlignedBuffer::round_up(bytes);
  void* data = std::aligned_alloc(AlignedBuffer::kAlignment, rounded);
  if (data == nullptr) throw std::bad_alloc();
  std::memset(data, 0, rounded);
  return MemoryBlock(data, bytes, [](void* p) noexcept { std::free(p); });
}

MemoryBlock HostDeviceMemory::allocate_host(size_t bytes) { return aligned_host_block(bytes); }

void HostDeviceMemory::copy(CopyQueue, void* dst, const void* src, size_t bytes) {
  if (bytes > 0 && dst != src) std::memcpy(dst, src, bytes);
}

}  // namespace strata
