#include "quant/half_gemm.h"

#include <algorithm>

#include "common/error.h"
#include "quant/fp16.h"
#include "quant/half_kernels.h"

namespace strata::quant {
namespace {

float widen_one(uint16_t h, HalfType type) {
  return type == HalfType::kF16 ? f16_to_f32(h) : bits_as_f32(uint32_t(h) << 16);
}

// The portable path, weights widened one at a time. Each output keeps 16 partial sums (element p
// goes to sum p % 16), as the AVX-512 kernel's lanes do: one running fp32 sum over a long row
// (k = 262147 in the op tests) drifts ~sqrt(16) times further from the exact sum.
void half_gemm_slice_scalar(const HalfGemmSlice& s) {
  constexpr int kLanes = 16;
  const int64_t k = s.w->cols;
  for (int64_t j = s.j0; j < s.j1; ++j) {
    const uint16_t* wrow = s.w->data + j * k;
    for (int64_t i = 0; i < s.m; ++i) {
      const float* xrow = s.x + i * k;
      float lane[kLanes] = {};
      for (int64_t p = 0; p < k; ++p) lane[p % kLanes] += xrow[p] * widen_one(wrow[p], s.w->type);
      float sum = 0.0f;
      for (float v : lane) sum += v;
      s.y[i * s.ldy + j] = sum;
    }
  }
}

void widen_scalar(const uint16_t* src, HalfType type, int64_t count, float* dst) {
  for (int64_t p = 0; p < count; ++p) dst[p] = widen_one(src[p], type);
}

void check_half_matrix(const HalfMatrix& w) {
  STRATA_CHECK(w.rows >= 0 && w.cols >= 0, "half matrix [", w.rows, ", ", w.cols, "]");
  STRATA_CHECK(w.data != nullptr || w.rows * w.cols == 0, "half matrix with a null pointer");
}

}  // namespace

void half_gemm_cpu(const float* x, int64_t m, const HalfMatrix& w, float* y, int64_t ldy,
                   const CpuCompute& cpu) {
  check_half_matrix(w);
  check_cpu_isa(cpu.isa);
  STRATA_CHECK(m >= 0 && ldy >= w.rows, "half GEMM with m = ", m, ", ldy = ", ldy,
               " < n = ", w.rows);
  STRATA_CHECK(cpu.threads >= 1, "half GEMM with ", cpu.threads, " threads");
  if (m == 0 || w.rows == 0) return;
  STRATA_CHECK(y != nullptr && (x != nullptr || w.cols == 0), "half GEMM with a null pointer");
  // Threads take 64-row bands of the weight (the bytes that must stream) from a shared counter
  // rather than fixed shares: on a busy machine a thread that loses its core for a while leaves
  // its bands to the others instead of holding up the whole step at the join.
  constexpr int64_t kBandRows = 64;
  const int64_t bands = (w.rows + kBandRows - 1) / kBandRows;
  // A small product stays on the calling thread (waking the team and joining it costs
  // microseconds): a thread per 256 KiB of weights or 4 MFLOP of multiply.
  const double work = double(w.rows * w.cols * 2) / double(256 << 10) +
                      2.0 * double(m) * double(w.rows * w.cols) / double(1 << 22);
  const int threads =
      int(std::clamp<double>(work, 1.0, double(std::min<int64_t>(bands, cpu.threads))));
  cpu.run(threads, bands, [&](int64_t b) {
    const HalfGemmSlice s{x, m, &w, b * kBandRows, std::min(w.rows, (b + 1) * kBandRows), y, ldy};
    switch (cpu.isa) {
      case CpuIsa::kScalar:
        half_gemm_slice_scalar(s);
        break;
      case CpuIsa::kAvx2:
        avx2::half_gemm_slice(s);
        break;
      case CpuIsa::kAvx512:
        avx512::half_gemm_slice(s);
        break;
    }
  });
}

void widen_half_rows(const HalfMatrix& w, int64_t row_begin, int64_t row_end, float* out,
                     const CpuCompute& cpu) {
  check_half_matrix(w);
  check_cpu_isa(cpu.isa);
  STRATA_CHECK(0 <= row_begin && row_begin <= row_end && row_end <= w.rows, "widen rows [",
               row_begin, ", ", row_end, ") of ", w.rows);
  const int64_t count = (row_end - row_begin) * w.cols;
  if (count == 0) return;
  STRATA_CHECK(out != nullptr, "widen_half_rows into a null pointer");
  const uint16_t* src = w.data + row_begin * w.cols;
  // The tile feeds sgemm_nt next, so it is widened by that product's OpenMP team: right after the
  // previous product its threads are still spinning and start at once, while the compute pool's
  // workers would first have to wake and then contend with them for the cores (on 2 cores the
  // pool's share waited and one thread widened whole tiles: 10% of a small prefill). Bands of
  // 64 Ki elements are taken dynamically, so a thread that lost its core leaves them to others.
  constexpr int64_t kBand = int64_t(1) << 16;
  const int64_t bands = (count + kBand - 1) / kBand;
  const int team = int(std::clamp<int64_t>(bands, 1, cpu.threads));
  const auto widen = [&](int64_t p0, int64_t p1) {
    switch (cpu.isa) {
      case CpuIsa::kScalar:
        return widen_scalar(src + p0, w.type, p1 - p0, out + p0);
      case CpuIsa::kAvx2:
        return avx2::widen_half(src + p0, w.type, p1 - p0, out + p0);
      case CpuIsa::kAvx512:
        return avx512::widen_half(src + p0, w.type, p1 - p0, out + p0);
    }
  };
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
  for (int64_t b = 0; b < bands; ++b) widen(b * kBand, std::min(count, (b + 1) * kBand));
}

}  // namespace strata::quant
