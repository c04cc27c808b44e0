#include "engine/backend/cuda/cublas_handle.h"

namespace strata::cuda {

CublasHandle::CublasHandle(cudaStream_t stream) {
  STRATA_CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    STRATA_CUBLAS_CHECK(cublasSetStream(handle_, stream));
    STRATA_CUBLAS_CHECK(cublasSetPointerMode(handle_, CUBLAS_POINTER_MODE_HOST));
    STRATA_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
  } catch (...) {
    cublasDestroy(handle_);
    throw;
  }
}

CublasHandle::~CublasHandle() {
  if (handle_) cublasDestroy(handle_);  // status ignored: destructors never throw
}

}  // namespace strata::cuda
