// CPU dequantization of a row range of a packed matrix, scalar or AVX2 (chosen by the caller).
// Both produce bit-identical results: the AVX2 kernel evaluates the same fmaf(code, scale, min)
// with _mm256_fmadd_ps and converts the fp16 header exactly with F16C.
#pragma once

#include <cstdint>

#include "quant/cpu_isa.h"
#include "quant/format.h"

namespace strata::quant {

// Rows [row_begin, row_end) of w (host memory) into out: [row_end - row_begin, w.cols] fp32
// row-major (caller owns). Works for both group axes and any row range.
void dequantize_cpu(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out,
                    CpuIsa isa);

}  // namespace strata::quant
