// Internal: the AVX-512 q4/q8 kernels (defined in *_avx512.cpp, compiled with AVX-512 F/BW/VL).
// Declarations only, so they may be included anywhere; call them only after
// check_cpu_isa(CpuIsa::kAvx512). Arguments are checked by the public fronts, not here.
#pragma once

#include <cstdint>

#include "quant/format.h"

namespace strata::quant::avx512 {

// y[j] = sum_k x[k] * dequant(w)[j, k] + bias[j] for j < w.rows (bias may be null), for kCols
// groups whose size is a multiple of 16, x zero-padded to groups_per_row * group_size columns as
// for avx2::gemm_small_m.
//
// q4 (w.format.bits == k4): x_arranged is that padded x in the order arrange_x_q4 writes.
void gemv_q4(const float* x_arranged, const QuantMatrix& w, const float* bias, float* y);
// q8: xsum: [groups_per_row] fp32, the sum of each group's columns of x.
void gemv_q8(const float* x, const float* xsum, const QuantMatrix& w, const float* bias, float* y);

// The order gemv_q4 reads x in: within each group, every chunk of 32 columns (and the last 16
// when group_size = 16 mod 32) as its even columns, then its odd ones -- the order of the codes'
// low and high nibbles. x, out: [cols] with cols a multiple of group_size (a multiple of 16).
void arrange_x_q4(const float* x, int64_t cols, int32_t group_size, float* out);

}  // namespace strata::quant::avx512
