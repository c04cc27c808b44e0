// CUDA linear: y[M, N] = x[M, K] · w[N, K]ᵀ (+ bias[N]) through cuBLAS, or quant/cuda's fused
// dequant-GEMM for q4/q8 decode shapes. cuda_backend.h says which arithmetic each weight dtype
// gets and why.
//
// cuBLAS is column-major: row-major y[M, N] is column-major yᵀ [N, M] (ld N), row-major w[N, K]
// is column-major wᵀ [K, N] (ld K) and x likewise xᵀ [K, M] (ld K), so
//   yᵀ = op(wᵀ)ᵀ · xᵀ  =>  cublasGemmEx(OP_T, OP_N, N, M, K, w, K, x, K, y, N).
// A tile of weight rows [r0, r1) is the same call with N = r1 - r0 writing y + r0, ld still N.
#include <algorithm>
#include <climits>

#include "common/error.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "quant/cuda/quant_cuda.h"

namespace strata {
namespace {

using cuda::kernels::ElemType;

constexpr size_t kPiece = cuda::DeviceArena::kDefaultAlignment;
size_t padded(size_t bytes) { return (bytes + kPiece - 1) / kPiece * kPiece; }

ElemType bias_type(DType t) {
  switch (t) {
    case DType::f32: return ElemType::f32;
    case DType::f16: return ElemType::f16;
    case DType::bf16: return ElemType::bf16;
    default: break;
  }
  throw Error(str_cat("linear bias of dtype ", dtype_name(t), " is not supported"));
}

// Rows of a weight tile of `row_bytes` bytes each within the tile budget (at least one row).
int64_t tile_rows(size_t budget, size_t row_bytes, int64_t n) {
  return std::clamp<int64_t>(int64_t(budget / std::max<size_t>(row_bytes, 1)), 1, n);
}

}  // namespace

void CudaBackend::gemm_16bit(const void* w, const uint16_t* x16, cudaDataType_t type, int64_t m,
                             int64_t rows, int64_t k, float* y, int64_t ldc) {
  const float one = 1.0f, zero = 0.0f;
  STRATA_CUBLAS_CHECK(cublasGemmEx(cublas_.get(), CUBLAS_OP_T, CUBLAS_OP_N, int(rows), int(m),
                                   int(k), &one, w, type, int(k), x16, type, int(k), &zero, y,
                                   CUDA_R_32F, int(ldc), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

void CudaBackend::gemm_f32(const float* w, const float* x, int64_t m, int64_t rows, int64_t k,
                           float* y, int64_t ldc) {
  const float one = 1.0f, zero = 0.0f;
  // CUBLAS_COMPUTE_32F (not _FAST_TF32): full fp32 products, like the CPU backend's sgemm.
  STRATA_CUBLAS_CHECK(cublasGemmEx(cublas_.get(), CUBLAS_OP_T, CUBLAS_OP_N, int(rows), int(m),
                                   int(k), &one, w, CUDA_R_32F, int(k), x, CUDA_R_32F, int(k),
                                   &zero, y, CUDA_R_32F, int(ldc), CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT));
}

void CudaBackend::do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) {
  const int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  if (m == 0 || n == 0) return;
  STRATA_CHECK(m <= INT_MAX && k <= INT_MAX && n <= INT_MAX, "linear [", m, ", ", k, "] x [", n,
               ", ", k, "] exceeds cuBLAS's int dimensions");
  bool bias_done = false;
  if (k == 0) {  // an empty sum (cuBLAS rejects ld = 0): y = 0, then the bias
    STRATA_CUDA_CHECK(cudaMemsetAsync(y.data(), 0, size_t(m * n) * sizeof(float), stream()));
  } else {
  switch (w.dtype()) {
    case DType::f32:
      gemm_f32(w.data<float>(), x.data<float>(), m, n, k, y.data<float>(), n);
      break;
    case DType::f16:
    case DType::bf16: {
      if (w.dtype() == DType::bf16 && compute_major_ < 8) {
        linear_bf16_widened(x, w, y);
        break;
      }
      const bool f16 = w.dtype() == DType::f16;
      auto* x16 = static_cast<uint16_t*>(
          scratch_for(padded(size_t(m * k) * 2)).allocate(size_t(m * k) * 2));
      cuda::kernels::f32_to_16bit(x.data<float>(), m * k, f16 ? ElemType::f16 : ElemType::bf16,
                                  x16, stream());
      gemm_16bit(w.data(), x16, f16 ? CUDA_R_16F : CUDA_R_16BF, m, n, k, y.data<float>(), n);
      break;
    }
    case DType::q4:
    case DType::q8: linear_quantized(x, w, bias, y, bias_done); break;
    default: throw Error(str_cat("linear weight ", w.shape_string(), " on the CUDA backend"));
  }
  }
  if (!bias.empty() && !bias_done) {
    cuda::kernels::add_bias(y.data<float>(), m, n, bias.data(), bias_type(bias.dtype()),
                            stream());
  }
}

// bf16 before sm_80: x rounded to bf16 and widened back (the products sm_80+ computes), weight
// row tiles widened to fp32, SGEMM per tile.
void CudaBackend::linear_bf16_widened(const Tensor& x, const Tensor& w, Tensor& y) {
  const int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  const int64_t rows = tile_rows(options_.weight_tile_bytes, size_t(k) * 4, n);
  const size_t x16_bytes = size_t(m * k) * 2, xr_bytes = size_t(m * k) * 4,
               tile_bytes = size_t(rows * k) * 4;
  cuda::DeviceArena& arena = scratch_for(padded(x16_bytes) + padded(xr_bytes) + padded(tile_bytes));
  auto* x16 = static_cast<uint16_t*>(arena.allocate(x16_bytes));
  auto* xr = static_cast<float*>(arena.allocate(xr_bytes));
  auto* tile = static_cast<float*>(arena.allocate(tile_bytes));
  cuda::kernels::f32_to_16bit(x.data<float>(), m * k, ElemType::bf16, x16, stream());
  cuda::kernels::to_f32(x16, ElemType::bf16, m * k, xr, stream());
  for (int64_t r0 = 0; r0 < n; r0 += rows) {
    const int64_t r = std::min(rows, n - r0);
    cuda::kernels::to_f32(w.data<uint16_t>() + r0 * k, ElemType::bf16, r * k, tile, stream());
    gemm_f32(tile, xr, m, r, k, y.data<float>() + r0, n);
  }
}

void CudaBackend::linear_quantized(const Tensor& x, const Tensor& w, const Tensor& bias,
                                   Tensor& y, bool& bias_done) {
  const int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  const quant::QuantMatrix packed{
      {w.dtype() == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8, w.group_size(),
       quant::GroupAxis::kCols},
      w.data<uint8_t>(), n, k};
  if (m <= options_.fused_quant_max_m) {
    // Decode: the weight is read packed and dequantized in registers (quant/cuda/gemm_decode.cu).
    const bool f32_bias = !bias.empty() && bias.dtype() == DType::f32;
    quant::cuda::gemm_decode(x.data<float>(), m, packed, f32_bias ? bias.data<float>() : nullptr,
                             y.data<float>(), stream());
    bias_done = f32_bias;
    return;
  }
  // Prefill: tiles of weight rows dequantized to f16 in scratch, one f16 GEMM per tile.
  const int64_t rows = tile_rows(options_.weight_tile_bytes, size_t(k) * 2, n);
  const size_t x16_bytes = size_t(m * k) * 2, tile_bytes = size_t(rows * k) * 2;
  cuda::DeviceArena& arena = scratch_for(padded(x16_bytes) + padded(tile_bytes));
  auto* x16 = static_cast<uint16_t*>(arena.allocate(x16_bytes));
  auto* tile = static_cast<uint16_t*>(arena.allocate(tile_bytes));
  cuda::kernels::f32_to_16bit(x.data<float>(), m * k, ElemType::f16, x16, stream());
  for (int64_t r0 = 0; r0 < n; r0 += rows) {
    const int64_t r1 = std::min(n, r0 + rows);
    quant::cuda::dequantize_f16(packed, r0, r1, tile, stream());
    gemm_16bit(tile, x16, CUDA_R_16F, m, r1 - r0, k, y.data<float>() + r0, n);
  }
}

}  // namespace strata
