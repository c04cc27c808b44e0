// f16 / bf16 weights on the CPU, widened to fp32 inside the multiply (issue 15 point 2): a decode
// step streams each 16-bit weight from memory once, widens it in registers (F16C / AVX-512
// vcvtph2ps for f16, a 16-bit shift for bf16) and multiplies it into every row of x, so no fp32
// copy of a weight is written anywhere. For prefill shapes, widen_half_rows() widens a tile of
// rows for sgemm_nt (quant/sgemm_cpu.h), whose FMAs then dominate.
//
//   x: [m, k] fp32 row-major, k = w.cols     (caller owns)
//   w: [n, k] 16-bit row-major, n = w.rows   (caller owns; host memory)
//   y: [m, n] fp32, row stride ldy >= n      (caller owns; overwritten)
//
// Paths (CpuCompute::isa): kAvx512 (4x4 register blocks of 16 lanes, masked k tail), kAvx2 (2x4
// blocks of 8 lanes, scalar k tail) and kScalar (portable loops, the fallback on any CPU). All
// accumulate in fp32; rows of w are split across CpuCompute::threads.
#pragma once

#include <cstdint>

#include "quant/cpu_isa.h"

namespace strata::quant {

enum class HalfType : uint8_t { kF16, kBf16 };

struct HalfMatrix {
  HalfType type = HalfType::kF16;
  const uint16_t* data = nullptr;  // [rows, cols] raw f16 or bf16 bits
  int64_t rows = 0, cols = 0;
};

// Up to this many rows of x the direct kernel beats widening tiles for sgemm_nt (measured by
// strata_bench_cpu_gemm, docs/benchmarks.md section 9: 1.2-3.3x at 64 rows on OPT-125m's and
// OPT-1.3b's shapes; 0.74-0.99x at 128); CpuBackend::do_linear uses it.
inline constexpr int64_t kHalfDirectMaxM = 64;

// y = x · widen(w)ᵀ for any m (built for m <= kHalfDirectMaxM). Throws strata::Error on a bad
// argument or an ISA this CPU cannot run.
void half_gemm_cpu(const float* x, int64_t m, const HalfMatrix& w, float* y, int64_t ldy,
                   const CpuCompute& cpu);

// Rows [row_begin, row_end) of w widened into out: [row_end - row_begin, w.cols] fp32 (exact),
// on sgemm_nt's OpenMP team of up to cpu.threads threads (the product the tile feeds).
void widen_half_rows(const HalfMatrix& w, int64_t row_begin, int64_t row_end, float* out,
                     const CpuCompute& cpu);

}  // namespace strata::quant
