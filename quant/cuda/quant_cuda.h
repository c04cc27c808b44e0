// Host-callable launchers of the CUDA quant kernels (defined in quant/cuda/*.cu, target
// strata_quant_cuda). A plain C++ header: no CUDA include; cudaStream_t is CUstream_st*, declared
// forward here, so callers pass their cudaStream_t as is. Every launcher is asynchronous on the
// given stream (no default stream argument), checks its arguments on the host (strata::Error) and
// throws strata::Error if the launch itself fails.
//
// All pointers are device memory owned by the caller. Packed matrices use exactly the layout of
// quant/format.h and must start 4-byte aligned. Results match the CPU reference:
//   quantize*        bytewise equal to quantize_ref for finite inputs (NaN saturates to -65504
//                    and +-inf to +-65504 here, where the host reference throws instead)
//   dequantize*      bit-identical fp32 (fp16 output: that value rounded to nearest even)
//   gemm_decode      y within fp32 accumulation error of x . dequantize_ref(W)^T + bias
#pragma once

#include <cstdint>

#include "quant/format.h"

struct CUstream_st;

namespace strata::quant::cuda {

using Stream = CUstream_st*;  // == cudaStream_t

// x: [rows, cols] row-major, fp32 or fp16 bits. out: packed_bytes(f, rows, cols) bytes.
void quantize(const QuantFormat& f, const float* x, int64_t rows, int64_t cols, uint8_t* out,
              Stream stream);
void quantize_f16(const QuantFormat& f, const uint16_t* x, int64_t rows, int64_t cols, uint8_t* out,
                  Stream stream);

// Rows [row_begin, row_end) of w into out: [row_end - row_begin, w.cols] row-major, fp32 or fp16
// bits. With a row range of a tile this is the "dequantize into scratch, then cuBLAS" path for
// prefill shapes; both group axes.
void dequantize(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out,
                Stream stream);
void dequantize_f16(const QuantMatrix& w, int64_t row_begin, int64_t row_end, uint16_t* out,
                    Stream stream);

// Fused dequant-GEMM for decode shapes: y[m, n] = x[m, k] . dequant(w)[n, k]^T + bias[n], with
// n = w.rows, k = w.cols, 1 <= m <= kGemmDecodeMaxM, w.format.axis == kCols; bias may be null.
// One warp per weight row; the weight is read once per 8 rows of x and never stored dequantized.
inline constexpr int64_t kGemmDecodeMaxM = 64;
void gemm_decode(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                 Stream stream);

namespace detail {
// Throws strata::Error naming `kernel` if the last launch on this thread failed.
void check_launch(const char* kernel);
// Shared host-side checks of the launchers.
void check_packed_pointer(const uint8_t* p);
}  // namespace detail

}  // namespace strata::quant::cuda
