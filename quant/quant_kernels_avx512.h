// Internal: the AVX-512 q4/q8 kernels (defined in *_avx512.cpp, compiled with AVX-512 F/BW/VL).
// Declarations only, so they may be included anywhere; call them only after
// check_cpu_isa(CpuIsa::kAvx512). Arguments are checked by the public fronts, not here.
#pragma once

#include <cstdint>

#include "quant/format.h"

namespace strata::quant::avx512 {

// For kCols groups whose size is a multiple of 16 and x zero-padded to ldx = groups_per_row *
// group_size columns as for avx2::gemm_small_m; bias: [w.rows] or null.
//
// q4 (w.format.bits == k4): y[i, j] = sum_k x[i, k] * dequant(w)[j, k] + bias[j] for i < m
// (1..4), j < w.rows. x_arranged: [m, ldx], each row that padded row of x in the order
// arrange_x_q4 writes. y: [m, ldy].
void gemm_q4(const float* x_arranged, int m, int64_t ldx, const QuantMatrix& w, const float* bias,
             float* y, int64_t ldy);
// q8 (k8), 1-3 rows of x: y[i, j] = sum_k x[i, k] * dequant(w)[j, k] + bias[j]. x: [m, ldx];
// xsum: [m, groups_per_row] fp32, the sum of each group's columns of each row of x. y: [m, ldy].
void gemm_q8(const float* x, const float* xsum, int m, int64_t ldx, const QuantMatrix& w,
             const float* bias, float* y, int64_t ldy);

// q4 or q8 against any number of rows of x (built for 2-64): strips of weight rows dequantized
// exactly into an L1 scratch, then multiplied into all m rows in 4 x 4 register blocks
// (gemm_strips_avx512.cpp). x: [m, ldx] zero-padded as above; for q4 each row in arrange_x_q4's
// order, for q8 as it is. y: [m, ldy]; bias: [w.rows] or null.
void gemm_strips(const float* x, int m, int64_t ldx, const QuantMatrix& w, const float* bias,
                 float* y, int64_t ldy);

// The order gemm_q4 and gemm_strips (q4) read each row of x in: within each group, every chunk of
// 32 columns (and the last 16 when group_size = 16 mod 32) as its even columns, then its odd ones
// -- the order of the codes' low and high nibbles. x, out: [cols], cols a multiple of group_size.
void arrange_x_q4(const float* x, int64_t cols, int32_t group_size, float* out);

}  // namespace strata::quant::avx512
