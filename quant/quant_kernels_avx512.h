// Internal: the AVX-512 q4/q8 kernels (defined in *_avx512.cpp, compiled with AVX-512 F/BW/VL).
// Declarations only, so they may be included anywhere; call them only after
// check_cpu_isa(CpuIsa::kAvx512). Arguments are checked by the public fronts, not here.
#pragma once

#include <cstdint>

#include "quant/format.h"

namespace strata::quant::avx512 {

// y[j] = sum_k x[k] * dequant(w)[j, k] + bias[j] for j < w.rows (bias may be null), for kCols
// groups whose size is a multiple of 16; x zero-padded to groups_per_row * group_size columns as
// for avx2::gemm_small_m. xsum: [groups_per_row] fp32, the sum of each group's columns of x.
void gemv(const float* x, const float* xsum, const QuantMatrix& w, const float* bias, float* y);

}  // namespace strata::quant::avx512
