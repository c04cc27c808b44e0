// CUDA store_rows: the executor's append of new KV rows into a device cache region — a copy for
// an fp32 cache, quant/cuda's quantize kernel for a compressed one (bytewise the CPU reference's
// for finite values; tests/cuda/test_cuda_backend.cpp compares them).
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/core/quantize_matrix.h"
#include "quant/cuda/quant_cuda.h"

namespace strata {

void CudaBackend::do_store_rows(const Tensor& x, const Tensor& out) {
  if (out.dtype() == DType::f32) {
    STRATA_CUDA_CHECK(cudaMemcpyAsync(out.data(), x.data(), out.nbytes(), cudaMemcpyDeviceToDevice,
                                      stream_.get()));
    return;
  }
  quant::cuda::quantize(quant_format_of(out.format()), x.data<float>(), x.dim(0), x.dim(1),
                        out.data<uint8_t>(), stream_.get());
}

}  // namespace strata
