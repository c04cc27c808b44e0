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

// x zero-padded to whole groups, [m, ldx], so the SIMD kernels need no tail: padded codes are 0
// and decode to the group minimum, which then meets x = 0. With `arrange_q4` each row is in the
// order the AVX-512 q4 kernels read (avx512::arrange_x_q4).
struct PaddedX {
  std::vector<float> rows;
  int64_t ldx;
};

PaddedX pad_x(const float* x, int64_t m, const QuantMatrix& w, bool arrange_q4) {
  const int64_t k = w.cols, g = w.format.group_size, ldx = groups_per_row(w.format, k) * g;
  PaddedX p{std::vector<float>(size_t(m * ldx), 0.0f), ldx};
  for (int64_t i = 0; i < m; ++i) std::copy(x + i * k, x + (i + 1) * k, p.rows.data() + i * ldx);
  if (arrange_q4) {
    std::vector<float> row(static_cast<size_t>(ldx));
    for (int64_t i = 0; i < m; ++i) {
      float* xi = p.rows.data() + i * ldx;
      avx512::arrange_x_q4(xi, ldx, int32_t(g), row.data());
      std::copy(row.begin(), row.end(), xi);
    }
  }
  return p;
}

bool avx512_groups(const QuantMatrix& w, const CpuCompute& cpu) {
  return cpu.isa >= CpuIsa::kAvx512 && w.format.group_size % 16 == 0 &&
         w.format.axis == GroupAxis::kCols;
}

// The direct kernels: AVX-512 for groups of a multiple of 16 elements, q4 and q8 at 1-3 rows of x
// (quant/gemm_small_m_avx512.cpp says why; the strip kernel takes 4), AVX2 otherwise.
void gemm_direct(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                 const CpuCompute& cpu) {
  const int64_t k = w.cols, groups = groups_per_row(w.format, k), g = w.format.group_size;
  const bool avx512 = avx512_groups(w, cpu);
  const bool avx512_q4 = avx512 && w.format.bits == QuantBits::k4;
  const bool avx512_q8 = avx512 && w.format.bits == QuantBits::k8 && m <= kGemmDirectQ8MaxM;
  const PaddedX xp = pad_x(x, m, w, avx512_q4);
  const int64_t ldx = xp.ldx;
  // q8's AVX-512 kernel also takes x's group sums, once for all threads.
  std::vector<float> xsum;
  if (avx512_q8) {
    xsum.assign(size_t(m * groups), 0.0f);
    for (int64_t i = 0; i < m; ++i) {
      const float* xi = xp.rows.data() + i * ldx;
      for (int64_t p = 0; p < ldx; ++p) xsum[size_t(i * groups + p / g)] += xi[p];
    }
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
        avx512::gemm_q4(xp.rows.data(), int(m), ldx, part, part_bias, y + j0, n);
      } else if (avx512_q8) {
        avx512::gemm_q8(xp.rows.data(), xsum.data(), int(m), ldx, part, part_bias, y + j0, n);
      } else {
        avx2::gemm_small_m(xp.rows.data(), int(m), ldx, part, part_bias, y + j0, n);
      }
    }
  });
}

// The AVX-512 strip kernel (quant/gemm_strips_avx512.cpp) for a few dozen rows of x. Threads take
// 64-row bands of the weight from a shared counter, as half_gemm_cpu's do (a thread that loses
// its core leaves its bands to the others); a small product stays on the calling thread.
void gemm_strips(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                 const CpuCompute& cpu) {
  const PaddedX xp = pad_x(x, m, w, w.format.bits == QuantBits::k4);
  constexpr int64_t kBandRows = 64;
  const int64_t n = w.rows, rb = row_bytes(w.format, w.cols);
  const int64_t bands = (n + kBandRows - 1) / kBandRows;
  // A thread per 256 KiB of packed weights or 4 MFLOP of multiply (as half_gemm_cpu).
  const double work = double(n * rb) / double(256 << 10) +
                      2.0 * double(m) * double(n * w.cols) / double(1 << 22);
  const int team =
      int(std::clamp<double>(work, 1.0, double(std::min<int64_t>(bands, cpu.threads))));
  cpu.run(team, bands, [&](int64_t b) {
    const int64_t j0 = b * kBandRows, j1 = std::min(n, j0 + kBandRows);
    const QuantMatrix part{w.format, w.data + j0 * rb, j1 - j0, w.cols};
    avx512::gemm_strips(xp.rows.data(), int(m), xp.ldx, part, bias ? bias + j0 : nullptr, y + j0,
                        n);
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
  if (avx512_groups(w, cpu) && kGemmStripsMinM <= m && m <= kGemmStripsMaxM) {
    gemm_strips(x, m, w, bias, y, cpu);
  } else if (cpu.isa >= CpuIsa::kAvx2 && w.format.axis == GroupAxis::kCols &&
             m <= kGemmDirectMaxM) {
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
