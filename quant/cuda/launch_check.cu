// Host-side checks shared by the quant CUDA launchers.
#include <cuda_runtime.h>

#include <cstdint>

#include "common/error.h"
#include "quant/cuda/quant_cuda.h"

namespace strata::quant::cuda::detail {

void check_launch(const char* kernel) {
  const cudaError_t err = cudaGetLastError();
  STRATA_CHECK(err == cudaSuccess, "CUDA kernel ", kernel,
               " failed to launch: ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
}

void check_packed_pointer(const uint8_t* p) {
  STRATA_CHECK(reinterpret_cast<uintptr_t>(p) % 4 == 0, "packed quant matrix at ",
               static_cast<const void*>(p), " is not 4-byte aligned");
}

}  // namespace strata::quant::cuda::detail
