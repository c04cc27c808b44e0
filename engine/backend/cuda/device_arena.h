// Device memory owners. DeviceBuffer owns one cudaMalloc allocation. DeviceArena is a bump
// allocator carved out of one DeviceBuffer (llm.c's one-arena-carved-into-tensors; DESIGN.md
// "one arena per layer is carved into tensors"): allocate() hands out aligned pieces, reset()
// takes them all back at once. The arena never frees a piece alone and never calls cudaMalloc
// after construction, so carving and resetting cost no device synchronisation.
//
// Reuse after reset() is safe when the previous users' work was queued on the same stream as the
// new users' (stream order), or when the caller waited on an event of that work first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);  // throws strata::Error when cudaMalloc fails
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

class DeviceArena {
 public:
  // cudaMalloc aligns to 256 bytes; pieces keep that alignment by default (coalesced loads,
  // cuBLAS's and the vector kernels' alignment needs).
  static constexpr size_t kDefaultAlignment = 256;

  DeviceArena() = default;
  explicit DeviceArena(size_t capacity) : buffer_(capacity) {}

  // `bytes` bytes aligned to `alignment` (a power of two); throws strata::Error naming the
  // request, the capacity and what is in use when it does not fit.
  void* allocate(size_t bytes, size_t alignment = kDefaultAlignment);
  template <typename T>
  T* allocate_array(size_t count) {
    return static_cast<T*>(allocate(count * sizeof(T), alignof(T) > kDefaultAlignment
                                                           ? alignof(T)
                                                           : kDefaultAlignment));
  }
  // Bytes `allocate(bytes, alignment)` would consume now, padding included.
  size_t cost(size_t bytes, size_t alignment = kDefaultAlignment) const;
  void reset() { used_ = 0; }

  size_t capacity() const { return buffer_.size(); }
  size_t used() const { return used_; }

 private:
  DeviceBuffer buffer_;
  size_t used_ = 0;
};

}  // namespace strata::cuda
