// DeviceMemory: a backend's device tier as the executor sees it — owners of device and host
// memory, and copies into and out of the device on three queues. On the CPU backend the device is
// ordinary RAM (HostDeviceMemory: memcpy, nothing to wait for); on CUDA it is GPU memory, host
// blocks are page-locked so copies run as DMA, and each queue is a CUDA stream
// (engine/backend/cuda/cuda_device_memory.h).
//
// Who uses which queue: the executor's host→device worker thread `load`, its device→host worker
// `store`, and the thread that runs the backend's ops `compute` (copies that belong inside a
// computation: logits out, queries to host attention). A queue is driven by one thread at a
// time. copy() only queues; finish(q) returns when every copy queued on q — and for `compute`
// every op the backend queued — has finished, so a task finishes its queue before it reports
// completion and host-side events order everything else.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata {

enum class CopyQueue : uint8_t { compute, load, store };

// Owns one block of device or host memory from a DeviceMemory. Move-only; frees on destruction.
class MemoryBlock {
 public:
  using Release = void (*)(void* data) noexcept;

  MemoryBlock() = default;
  MemoryBlock(void* data, size_t size, Release release)
      : data_(data), size_(size), release_(release) {}
  ~MemoryBlock() { reset(); }
  MemoryBlock(MemoryBlock&& other) noexcept { *this = static_cast<MemoryBlock&&>(other); }
  MemoryBlock& operator=(MemoryBlock&& other) noexcept;
  MemoryBlock(const MemoryBlock&) = delete;
  MemoryBlock& operator=(const MemoryBlock&) = delete;

  template <typename T = void>
  T* data() const { return static_cast<T*>(data_); }
  size_t size() const { return size_; }
  // Gives up the memory without releasing it (the caller now owns it).
  void release_ownership() noexcept { data_ = nullptr; size_ = 0; release_ = nullptr; }

 private:
  void reset() noexcept;

  void* data_ = nullptr;
  size_t size_ = 0;
  Release release_ = nullptr;
};

class DeviceMemory {
 public:
  virtual ~DeviceMemory() = default;

  // True when a device pointer is an ordinary host pointer (the CPU backend): files may be read
  // straight into device memory. Otherwise they are read into host memory and copied.
  virtual bool host_addressable() const = 0;
  // A zero-filled device block of `bytes` (null for 0 bytes), aligned to at least 256 bytes.
  virtual MemoryBlock allocate_device(size_t bytes) = 0;
  // A zero-filled host block, 4096-byte aligned (an O_DIRECT target), page-locked where the
  // backend copies faster from such memory (a failure to pin falls back, with one warning).
  virtual MemoryBlock allocate_host(size_t bytes) = 0;
  // Queues a copy of `bytes` bytes on `queue`; either side may be device memory, a host block or
  // any other host memory.
  virtual void copy(CopyQueue queue, void* dst, const void* src, size_t bytes) = 0;
  // Blocks until everything queued on `queue` has finished; throws when a copy or op failed.
  virtual void finish(CopyQueue queue) = 0;
};

// The CPU backend's device: 4096-aligned RAM, copies done at once by memcpy.
class HostDeviceMemory final : public DeviceMemory {
 public:
  bool host_addressable() const override { return true; }
  MemoryBlock allocate_device(size_t bytes) override { return allocate_host(bytes); }
  MemoryBlock allocate_host(size_t bytes) override;
  void copy(CopyQueue queue, void* dst, const void* src, size_t bytes) override;
  void finish(CopyQueue) override {}
};

// A zero-filled, 4096-aligned block from std::aligned_alloc (std::bad_alloc when refused),
// released with std::free: HostDeviceMemory's blocks, and the host part of other backends'.
MemoryBlock aligned_host_block(size_t bytes);

}  // namespace strata
