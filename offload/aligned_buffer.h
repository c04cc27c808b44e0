// AlignedBuffer: owns one block of host memory aligned to 4096 bytes, so that any part of it can
// be the target of an O_DIRECT read. Move-only. Tensors are non-owning views carved out of it.
#pragma once

#include <cstddef>

namespace strata {

class AlignedBuffer {
 public:
  static constexpr size_t kAlignment = 4096;

  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);  // zero-filled
  ~AlignedBuffer();
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  template <typename T = void>
  T* data() const { return static_cast<T*>(data_); }
  size_t size() const { return size_; }

  // Rounds a byte count up to the alignment.
  static constexpr size_t round_up(size_t bytes) {
    return (bytes + kAlignment - 1) / kAlignment * kAlignment;
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace strata
