#include "quant/gemm_cpu.h"

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "quant/banded_gemm.h"
#include "quant/dequantize_cpu.h"
#include "quant/kernels_avx2.h"
#include "quant/quant_kernels_avx512.h"
#include "quant/reference.h"
#include "quant/sgemm_cpu.h"

namespace strata::quant {
namespace {

// The direct kernels: AVX-512 for groups of a multiple of 16 elements, q4 at 1-4 rows of x and q8
// at one (quant/gemm_small_m_avx512.cpp says why), AVX2 otherwise.
void gemm_direct(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                 const CpuCompute& cpu) {
  // Zero-pad x to whole groups so the kernel needs no tail: padded codes are 0 and decode to the
  // group minimum, which then meets x = 0.
  const int64_t k = w.cols, groups = groups_per_row(w.format, k), g = w.format.group_size;
  const int64_t ldx = groups * g;
  std::vector<float> xpad(size_t(m * ldx), 0.0f);
  for (int64_t i = 0; i < m; ++i) std::copy(x + i * k, x + (i + 1) * k, xpad.data() + i * ldx);
  const bool avx512 = cpu.isa >= CpuIsa::kAvx512 && g % 16 == 0;
  const bool avx512_q4 = avx512 && w.format.bits == QuantBits::k4;
  const bool avx512_q8 = avx512 && w.format.bits == QuantBits::k8 && m == 1;
  // What the AVX-512 kernels take besides x, once for all threads: q4, each row of x in the order
  // of its codes' nibbles; q8, x's group sums.
  std::vector<float> x_q4, xsum;
  if (avx512_q4) {
    x_q4.resize(xpad.size());
    for (int64_t i = 0; i < m; ++i)
      avx512::arrange_x_q4(xpad.data() + i * ldx, ldx, w.format.group_size, x_q4.data() + i * ldx);
  } else if (avx512_q8) {
    xsum.assign(size_t(groups), 0.0f);
    for (int64_t p = 0; p < ldx; ++p) xsum[size_t(p / g)] += xpad[size_t(p)];
  }
  // Threads split the weight's rows (a row range of a kCols matrix is itself a packed matrix), at
  // least 64 rows each so a small matrix does not pay for a team.
  const int64_t n = w.rows, rb = row_bytes(w.format, k);
  const int team = int(std::clamp<int64_t>(n / 64, 1, cpu.threads));
  cpu.run(team, team, [&](int64_t t) {
    const int64_t j0 = n * t / team, j1 = n * (t + 1) / team;
    if (j0 < j1) {
      const QuantMatrix part{w.format, w.data + j0 * rb, j1 - j0, k};
      const float* part_bias = bias ? bias + j0 : nullptr;
      if (avx512_q4) {
        avx512::gemm_q4(x_q4.data(), int(m), ldx, part, part_bias, y + j0, n);
      } else if (avx512_q8) {
        avx512::gemv_q8(xpad.data(), xsum.data(), part, part_bias, y + j0);
      } else {
        avx2::gemm_small_m(xpad.data(), int(m), ldx, part, part_bias, y + j0, n);
      }
    }
  });
}

void add_bias(const float* bias, int64_t m, int64_t n, float* y) {
  if (bias == nullptr) return;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) y[i * n + j] += bias[j];
  }
}

void gemm_tiled(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                const CpuCompute& cpu) {
  const int64_t n = w.rows, k = w.cols;
  const int64_t tile_rows = std::clamp<int64_t>(kGemmTileFloats / k, 1, n);
  std::vector<float> tile(size_t(tile_rows * k));
  for (int64_t r0 = 0; r0 < n; r0 += tile_rows) {
    const int64_t rows = std::min(tile_rows, n - r0);
    dequantize_cpu(w, r0, r0 + rows, tile.data(), cpu.isa);
    // y[:, r0:r0+rows] = x . tile^T  (tile: [rows, k] row-major, i.e. the transposed operand)
    sgemm_nt(x, tile.data(), y + r0, {m, rows, k, n}, cpu.threads);
  }
  add_bias(bias, m, n, y);
}

}  // namespace

void quant_gemm_cpu(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                    const CpuCompute& cpu) {
  check_dequantize_args(w, 0, w.rows, y);
  check_cpu_isa(cpu.isa);
  STRATA_CHECK(cpu.threads >= 1, "quant GEMM with ", cpu.threads, " threads");
  STRATA_CHECK(m >= 0, "quant GEMM with m = ", m);
  STRATA_CHECK(m <= INT32_MAX && w.rows <= INT32_MAX && w.cols <= INT32_MAX, "quant GEMM [", m,
               ", ", w.cols, "] x [", w.rows, ", ", w.cols, "]^T exceeds BLAS int dimensions");
  if (m == 0 || w.rows == 0) return;
  STRATA_CHECK(y != nullptr && (x != nullptr || w.cols == 0), "quant GEMM with a null pointer");
  if (w.cols == 0) {  // empty reduction: y = bias
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < w.rows; ++j) y[i * w.rows + j] = bias ? bias[j] : 0.0f;
    }
    return;
  }
  if (cpu.isa >= CpuIsa::kAvx2 && w.format.axis == GroupAxis::kCols && m <= kGemmDirectMaxM) {
    gemm_direct(x, m, w, bias, y, cpu);
  } else if (m <= kGemmBandMaxM && cpu.threads > 1) {
    const DecodeRows dequantize = [&](int64_t r0, int64_t r1, float* out) {
      dequantize_cpu(w, r0, r1, out, cpu.isa);
    };
    banded_gemm(x, m, w.rows, w.cols, rows_per_unit(w.format), dequantize, y, w.rows, cpu);
    add_bias(bias, m, w.rows, y);
  } else {
    gemm_tiled(x, m, w, bias, y, cpu);
  }
}

}  // namespace strata::quant
