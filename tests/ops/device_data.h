// DeviceData: bytes in a backend's device memory, filled from and read back into host vectors
// through the backend's own DeviceMemory (engine/backend/device_memory.h), so one test body
// serves the CPU (device = RAM), the separate-memory CPU stand-in and CUDA alike. Copies go on
// the compute queue, which is ordered with the backend's ops, and finish before returning:
// test code, where simple beats fast.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <vector>

#include "engine/backend/backend.h"

namespace strata::ops_test {

class DeviceData {
 public:
  // `bytes` of zeroed device memory (at least 256, so a zero-size tensor still has an address:
  // a null Tensor means "absent" to the ops).
  DeviceData(Backend& be, size_t bytes)
      : memory_(&be.memory()),
        block_(memory_->allocate_device(std::max<size_t>(bytes, 256))),
        bytes_(bytes) {}
  template <typename T>
  DeviceData(Backend& be, const std::vector<T>& host) : DeviceData(be, host.size() * sizeof(T)) {
    upload(host);
  }

  template <typename T = void>
  T* data() const {
    return block_.data<T>();
  }
  size_t bytes() const { return bytes_; }

  template <typename T>
  void upload(const std::vector<T>& host) {
    STRATA_CHECK(host.size() * sizeof(T) == bytes_, "upload of ", host.size() * sizeof(T),
                 " bytes into ", bytes_);
    memory_->copy(CopyQueue::compute, data(), host.data(), bytes_);
    memory_->finish(CopyQueue::compute);
  }
  // Waits for the ops queued before (compute queue order), then copies back.
  template <typename T>
  std::vector<T> download() const {
    std::vector<T> host(bytes_ / sizeof(T));
    memory_->copy(CopyQueue::compute, host.data(), data(), host.size() * sizeof(T));
    memory_->finish(CopyQueue::compute);
    return host;
  }
  std::vector<float> floats() const { return download<float>(); }

  Tensor tensor(DType dtype, std::initializer_list<int64_t> shape) const {
    return Tensor(data(), dtype, shape, Place::device);
  }
  Tensor packed(const TensorFormat& format, std::initializer_list<int64_t> shape) const {
    return Tensor::packed(data(), format, shape, Place::device);
  }

 private:
  DeviceMemory* memory_;
  MemoryBlock block_;
  size_t bytes_;
};

// Every element NaN: an output an op must overwrite, so one left unwritten shows.
inline std::vector<float> nan_floats(size_t n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

}  // namespace strata::ops_test
