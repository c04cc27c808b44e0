// Fused dequant-GEMM on the CPU: y = x . dequant(W)^T + bias, never holding a whole fp32 copy of W.
//
//   x: [m, k] fp32 row-major, k = w.cols      (caller owns)
//   w: packed [n, k], n = w.rows, either axis  (caller owns; host memory)
//   bias: [n] fp32 or null
//   y: [m, n] fp32 row-major                   (caller owns; overwritten)
//
// Paths: with CpuIsa::kAvx2 or better, a kCols matrix and m <= kGemmDirectMaxM, a direct AVX2
// kernel dequantizes each weight row in registers (decode), rows split across cpu.threads.
// Otherwise rows of W are dequantized tile by tile (at most kGemmTileFloats floats, ~1 MiB) into a
// scratch buffer and multiplied with sgemm_nt (quant/sgemm_cpu.h) per tile (prefill; also every
// shape on the scalar path).
#pragma once

#include <cstdint>

#include "quant/cpu_isa.h"
#include "quant/format.h"

namespace strata::quant {

inline constexpr int kGemmDirectMaxM = 4;
inline constexpr int64_t kGemmTileFloats = int64_t(1) << 18;

void quant_gemm_cpu(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                    const CpuCompute& cpu);

}  // namespace strata::quant
