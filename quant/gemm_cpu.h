// Fused dequant-GEMM on the CPU: y = x . dequant(W)^T + bias, never holding a whole fp32 copy of W.
//
//   x: [m, k] fp32 row-major, k = w.cols      (caller owns)
//   w: packed [n, k], n = w.rows, either axis  (caller owns; host memory)
//   bias: [n] fp32 or null
//   y: [m, n] fp32 row-major                   (caller owns; overwritten)
//
// Paths: with CpuIsa::kAvx512, a kCols matrix with groups of a multiple of 16 and kGemmStripsMinM
// <= m <= kGemmStripsMaxM, the strip kernel (quant/gemm_strips_avx512.cpp: strips of 6 weight rows
// dequantized exactly into an L1 scratch, multiplied into all rows of x in 4 x 6 register
// blocks), 64-row bands split across cpu.threads.
// Otherwise, with CpuIsa::kAvx2 or better, a kCols matrix and m <= kGemmDirectMaxM, a direct kernel
// reads each weight row's codes in registers (decode), rows split across cpu.threads: AVX-512
// for groups of a multiple of 16 (q4 at 1-3 rows of x: codes looked up in their group's 16
// levels; q8 at 1-3 rows: scale applied per group) or AVX2 (each element dequantized).
// Otherwise, up to kGemmBandMaxM rows with more than one thread, banded_gemm (quant/banded_gemm.h:
// each thread of the pool dequantizes bands of rows of W into its own scratch and multiplies
// them there). Above that (prefill; also one thread) rows of W are dequantized tile by tile (at
// most kGemmTileFloats floats, ~1 MiB) into one scratch buffer and each tile is multiplied with
// sgemm_nt (quant/sgemm_cpu.h) on all threads.
#pragma once

#include <cstdint>

#include "quant/cpu_isa.h"
#include "quant/format.h"

namespace strata::quant {

inline constexpr int kGemmDirectMaxM = 4;
// Rows of x the AVX-512 strip kernel takes (quant/gemm_strips_avx512.cpp), for kCols groups of
// a multiple of 16. At 2-3 rows the direct kernels ran 1.2-2.2x it (q4's 16-level lookup, q8's
// AVX2 kernel), at 4 it ran 1.2-1.3x them (docs/benchmarks.md section 9).
inline constexpr int64_t kGemmStripsMinM = 4;
// Rows of x up to which q8 takes the AVX-512 direct kernel (its scale applied per group).
inline constexpr int64_t kGemmDirectQ8MaxM = 3;
inline constexpr int64_t kGemmStripsMaxM = 64;
inline constexpr int64_t kGemmBandMaxM = 64;
inline constexpr int64_t kGemmTileFloats = int64_t(1) << 18;

void quant_gemm_cpu(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                    const CpuCompute& cpu);

}  // namespace strata::quant
