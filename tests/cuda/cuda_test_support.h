// Helpers of the CUDA backend tests: device copies of host vectors and device tensor views.
// Test code, so copies are synchronous and wait for the whole device (never done in the library).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/device_arena.h"
#include "engine/core/tensor.h"

namespace strata::cut {

template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t count) : buffer_((count ? count : 1) * sizeof(T)), count_(count) {}
  explicit DeviceArray(const std::vector<T>& v) : DeviceArray(v.size()) { upload(v); }

  T* get() const { return static_cast<T*>(buffer_.data()); }
  size_t size() const { return count_; }

  void upload(const std::vector<T>& v) {
    STRATA_CHECK(v.size() == count_, "upload of ", v.size(), " into ", count_);
    STRATA_CUDA_CHECK(cudaDeviceSynchronize());
    if (count_) {
      STRATA_CUDA_CHECK(cudaMemcpy(get(), v.data(), count_ * sizeof(T), cudaMemcpyHostToDevice));
    }
    STRATA_CUDA_CHECK(cudaDeviceSynchronize());  // the DMA behind a pageable copy has landed
  }
  // Waits for every stream, then copies back.
  std::vector<T> host() const {
    STRATA_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> v(count_);
    if (count_) {
      STRATA_CUDA_CHECK(cudaMemcpy(v.data(), get(), count_ * sizeof(T), cudaMemcpyDeviceToHost));
    }
    return v;
  }
  // Every byte 0xff: as floats, NaN, so an op that leaves an output element unwritten shows.
  void fill_nan() {
    STRATA_CUDA_CHECK(cudaMemset(get(), 0xff, (count_ ? count_ : 1) * sizeof(T)));
    STRATA_CUDA_CHECK(cudaDeviceSynchronize());
  }
  Tensor tensor(DType dtype, std::initializer_list<int64_t> shape) const {
    return Tensor(get(), dtype, shape, Place::device);
  }

 private:
  cuda::DeviceBuffer buffer_;
  size_t count_;
};

}  // namespace strata::cut
