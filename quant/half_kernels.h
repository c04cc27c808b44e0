// Internal: the SIMD half-weight kernels behind quant/half_gemm.h, one namespace per instruction
// set (defined in half_gemm_avx2.cpp / half_gemm_avx512.cpp, each compiled for its ISA).
// Declarations only, so they may be included anywhere; call them only after check_cpu_isa().
// Single-threaded: the front splits rows [j0, j1) of w across threads.
#pragma once

#include <cstdint>

#include "quant/half_gemm.h"

namespace strata::quant {

// Arguments of one thread's share: y[i, j] = sum_p x[i, p] * w[j, p] for i < m, j0 <= j < j1.
struct HalfGemmSlice {
  const float* x;  // [m, w.cols]
  int64_t m;
  const HalfMatrix* w;
  int64_t j0, j1;
  float* y;  // y[i * ldy + j]
  int64_t ldy;
};

namespace avx2 {
void half_gemm_slice(const HalfGemmSlice& s);
void widen_half(const uint16_t* src, HalfType type, int64_t count, float* dst);
}  // namespace avx2

namespace avx512 {
void half_gemm_slice(const HalfGemmSlice& s);
void widen_half(const uint16_t* src, HalfType type, int64_t count, float* dst);
}  // namespace avx512

}  // namespace strata::quant
