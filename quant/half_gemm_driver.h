// Internal: the loops every SIMD half-weight kernel shares (half_gemm_avx2.cpp,
// half_gemm_avx512.cpp), over an ISA's register block. `Kernel` provides
//   template <HalfType T, int MB, int NB> static void block(x, ldx, w, ldw, k, y, ldy):
//     y[i * ldy + j] = sum_p x[i * ldx + p] * widen(w[j * ldw + p]) for i < MB, j < NB;
//   static constexpr int kMaxRowsOfX: the largest MB whose accumulators fit its registers.
// Include only from a file compiled for that ISA; Kernel types are per-file, so instantiations
// never mix instruction sets.
#pragma once

#include <algorithm>

#include "quant/half_kernels.h"

namespace strata::quant::half_driver {

// Rows i0 .. i0 + MB of x against rows [j0, j1) of w: blocks of 4 weight rows, then single rows.
template <class Kernel, HalfType T, int MB>
void rows_of_x(const HalfGemmSlice& s, int64_t i0, int64_t j0, int64_t j1) {
  const int64_t k = s.w->cols;
  const float* x = s.x + i0 * k;
  float* y = s.y + i0 * s.ldy;
  int64_t j = j0;
  for (; j + 4 <= j1; j += 4)
    Kernel::template block<T, MB, 4>(x, k, s.w->data + j * k, k, k, y + j, s.ldy);
  for (; j < j1; ++j) Kernel::template block<T, MB, 1>(x, k, s.w->data + j * k, k, k, y + j, s.ldy);
}

// The last m % kMaxRowsOfX rows of x (MB counts down to 1).
template <class Kernel, HalfType T, int MB>
void tail_rows(const HalfGemmSlice& s, int64_t i0, int64_t rows, int64_t j0, int64_t j1) {
  if constexpr (MB >= 1) {
    if (rows == MB) return rows_of_x<Kernel, T, MB>(s, i0, j0, j1);
    tail_rows<Kernel, T, MB - 1>(s, i0, rows, j0, j1);
  }
}

template <class Kernel, HalfType T>
void slice(const HalfGemmSlice& s) {
  // A band of 64 weight rows (2 x 64 x k bytes: L2-resident for any model's k) is swept by every
  // block of x before the next band is read, so w crosses the memory bus once whatever m is.
  constexpr int64_t kBand = 64;
  constexpr int kMB = Kernel::kMaxRowsOfX;
  for (int64_t b0 = s.j0; b0 < s.j1; b0 += kBand) {
    const int64_t b1 = std::min(s.j1, b0 + kBand);
    int64_t i = 0;
    for (; i + kMB <= s.m; i += kMB) rows_of_x<Kernel, T, kMB>(s, i, b0, b1);
    tail_rows<Kernel, T, kMB - 1>(s, i, s.m - i, b0, b1);
  }
}

template <class Kernel>
void half_gemm_slice(const HalfGemmSlice& s) {
  if (s.w->type == HalfType::kF16) {
    slice<Kernel, HalfType::kF16>(s);
  } else {
    slice<Kernel, HalfType::kBf16>(s);
  }
}

}  // namespace strata::quant::half_driver
