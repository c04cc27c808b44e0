// CublasHandle: RAII owner of a cuBLAS handle bound to one stream, and STRATA_CUBLAS_CHECK, which
// turns a failed cuBLAS call into strata::Error naming the call, its file:line and the status.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "common/error.h"

namespace strata::cuda {

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* call,
                                            const char* file, int line) {
  throw Error(str_cat(file, ":", line, ": cuBLAS call `", call, "` failed: ",
                      cublasGetStatusName(status), " (", cublasGetStatusString(status), ")"));
}

inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_cublas_error(status, call, file, line);
}

class CublasHandle {
 public:
  // Every call through this handle is queued on `stream`. Pointer mode host (alpha, beta are host
  // scalars); default math mode, so CUBLAS_COMPUTE_32F never silently uses TF32.
  explicit CublasHandle(cudaStream_t stream);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;

  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

}  // namespace strata::cuda

#define STRATA_CUBLAS_CHECK(call) ::strata::cuda::check_cublas((call), #call, __FILE__, __LINE__)
