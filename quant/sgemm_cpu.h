// The CPU's fp32 GEMM, y = x · wᵀ, for every prefill-sized product (f32 weights, and
// f16/bf16/q4/q8 weights widened a tile of rows at a time). Runs oneDNN's matmul: its kernels are generated at
// run time for the instruction set the CPU reports (AVX-512, AVX2, SSE4.1), not looked up in a
// table of CPU models, so a CPU the library has never heard of still gets its widest FMA kernel.
// docs/benchmarks.md section 9 has the measurements that chose it over OpenBLAS and BLIS.
//
//   x: [m, k] fp32 row-major, ldx = k        (caller owns)
//   w: [n, k] fp32 row-major, ldw = k        (caller owns; the transposed operand)
//   y: [m, n] fp32 row-major with row stride ldy >= n   (caller owns; overwritten)
#pragma once

#include <cstdint>

namespace strata::quant {

struct SgemmShape {
  int64_t m = 0, n = 0, k = 0;
  int64_t ldy = 0;  // y's row stride in floats; >= n
};

// `threads` (>= 1) is the number of threads the product runs on (the calling thread's OpenMP
// team, oneDNN's runtime; quant's own kernels run on quant/compute_pool.h instead, whose idle
// threads sleep, and never at the same time as a GEMM).
// Throws strata::Error on a bad shape or when oneDNN refuses it.
void sgemm_nt(const float* x, const float* w, float* y, const SgemmShape& s, int threads);

}  // namespace strata::quant
