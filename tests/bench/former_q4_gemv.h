// The AVX-512 q4 one-row kernel as it was before the 16-level lookup (quant/gemm_small_m_avx512.cpp
// at commit 97a074f), kept only so that strata_bench_cpu_gemm can measure the two in the same run
// (docs/benchmarks.md section 9). Not part of any library; call only on a CPU with AVX-512.
#pragma once

#include "quant/format.h"

namespace strata::bench {

// y[j] = sum_k x[k] * dequant(w)[j, k] for j < w.rows: q4, kCols groups of a multiple of 16, x
// zero-padded to whole groups; xsum: [groups_per_row], the sum of each group's columns of x.
void former_q4_gemv(const float* x, const float* xsum, const quant::QuantMatrix& w, float* y);

}  // namespace strata::bench
