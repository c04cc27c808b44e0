// y = x · decode(w)ᵀ for a few rows of x (up to ~64) over weights stored in another form (q4/q8,
// f16/bf16): the pool's threads take bands of rows of w, each decodes its band into its own fp32
// scratch (~1 MiB: L2) and multiplies it there with a one-thread oneDNN product. The whole GEMM
// is one pool run. Decoding on one thread and handing each tile to oneDNN's OpenMP team instead
// ran q8 at 0.3-0.6 GB/s of packed weights at 16-32 rows of x (docs/benchmarks.md section 9):
// every tile waited on the team's fork and join, and the pool and the team took turns on the
// cores.
#pragma once

#include <cstdint>
#include <functional>

#include "quant/cpu_isa.h"

namespace strata::quant {

// Writes rows [row_begin, row_end) of the weight as fp32 into out ([rows, k], row-major).
using DecodeRows = std::function<void(int64_t row_begin, int64_t row_end, float* out)>;

// x: [m, k]; w: n rows of k, decoded in bands whose starts are multiples of `unit` (a row of a
// kCols q matrix, a band of group_size rows of kRows); y: [m, n] with row stride ldy >= n.
void banded_gemm(const float* x, int64_t m, int64_t n, int64_t k, int64_t unit,
                 const DecodeRows& decode, float* y, int64_t ldy, const CpuCompute& cpu);

}  // namespace strata::quant
