// Internal: the AVX2 + FMA + F16C kernels (defined in *_avx2.cpp, compiled with -mavx2 -mfma
// -mf16c). Declarations only, so they may be included anywhere; call them only after
// check_cpu_isa(CpuIsa::kAvx2). Arguments are checked by the public fronts, not here.
#pragma once

#include <cstdint>

#include "quant/format.h"

namespace strata::quant::avx2 {

// As dequantize_cpu: rows [row_begin, row_end) of w into out [row_end - row_begin, w.cols].
void dequantize_rows(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out);

// y[i, j] = sum_k x[i, k] * dequant(w)[j, k] + bias[j] for i < m (1..4), j < w.rows.
// w.format.axis must be kCols. x: [m, ldx] fp32 where ldx = groups_per_row * group_size and
// columns >= w.cols are zero (so the padded codes of a ragged group contribute nothing).
// y: [m, ldy] fp32. bias: [w.rows] or null.
void gemm_small_m(const float* x, int m, int64_t ldx, const QuantMatrix& w, const float* bias,
                  float* y, int64_t ldy);

}  // namespace strata::quant::avx2
