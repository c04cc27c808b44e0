// STRATA_CUDA_CHECK(call): turns a failed CUDA runtime call into strata::Error naming the call,
// its file:line and the CUDA error (name and text). Header-only and C++17, so host .cpp files
// and .cu launchers share it. Never use it in a destructor: destructors never throw, so RAII
// owners release with the plain call and ignore its status.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "common/error.h"

namespace strata::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  throw Error(str_cat(file, ":", line, ": CUDA call `", call, "` failed: ", cudaGetErrorName(err),
                      " (", cudaGetErrorString(err), ")"));
}

inline void check_cuda(cudaError_t err, const char* call, const char* file, int line) {
  if (err != cudaSuccess) throw_cuda_error(err, call, file, line);
}

}  // namespace strata::cuda

#define STRATA_CUDA_CHECK(call) ::strata::cuda::check_cuda((call), #call, __FILE__, __LINE__)

// After a kernel launch: a bad configuration is reported by cudaGetLastError.
#define STRATA_CUDA_CHECK_LAUNCH(kernel) \
  ::strata::cuda::check_cuda(cudaGetLastError(), "launch of " kernel, __FILE__, __LINE__)
