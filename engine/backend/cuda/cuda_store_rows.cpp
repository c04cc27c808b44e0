// CUDA store_rows: the executor's append of new KV rows into a device cache region — a copy for
// an fp32 cache, the round-to-nearest-even conversion kernel for an f16/bf16 one, quant/cuda's
// quantize kernel for a compressed one (bytewise the CPU's for finite values;
// tests/ops/test_store_rows.cpp compares them).
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/core/quantize_matrix.h"
#include "quant/cuda/quant_cuda.h"

namespace strata {

void CudaBackend::do_store_rows(const Tensor& x, const Tensor& out) {
  switch (out.dtype()) {
    case DType::f32:
      STRATA_CUDA_CHECK(cudaMemcpyAsync(out.data(), x.data(), out.nbytes(),
                                        cudaMemcpyDeviceToDevice, stream_.get()));
      return;
    case DType::f16:
    case DType::bf16:
      cuda::kernels::f32_to_16bit(x.data<float>(), x.numel(),
                                  out.dtype() == DType::f16 ? cuda::kernels::ElemType::f16
                                                            : cuda::kernels::ElemType::bf16,
                                  out.data<uint16_t>(), stream_.get());
      return;
    default: break;
  }
  quant::cuda::quantize(quant_format_of(out.format()), x.data<float>(), x.dim(0), x.dim(1),
                        out.data<uint8_t>(), stream_.get());
}

}  // namespace strata
