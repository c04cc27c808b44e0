// AVX-512 direct dequant-dot kernel for one row of x (a decode micro-batch of one sequence), kCols
// groups of a multiple of 16 elements. For a group with scale s and minimum mn,
//   sum_k (c_k s + mn) x_k = s · sum_k c_k x_k + mn · sum_k x_k,
// so each group costs only the codes' FMAs into every row of x plus one FMA per row for its
// scale; the minimum's term uses x's group sums, computed once per row of x by the caller. The
// AVX2 kernel instead dequantizes every element with an FMA first: on this Zen 4 (512-bit FMAs
// issue as two 256-bit halves) that extra FMA matters at one row of x (this kernel: 1.1-1.4x the
// AVX2 one) and not at 2-4 rows, where the AVX2 kernel was as fast or faster (best of 3 each,
// docs/benchmarks.md section 9), so the front sends only m = 1 here. The kernel is written for M
// rows of x; only M = 1 is instantiated (and tested). Single-threaded; callers split row ranges.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the pass-through of their unmasked
// forms, which -Wuninitialized reports at every use (GCC bug 105593); nothing is uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "quant/group_codec.h"
#include "quant/quant_kernels_avx512.h"

namespace strata::quant::avx512 {
namespace {

// 16 consecutive codes as fp32: 16 bytes (q8), or 8 bytes of nibbles (q4; element 2j in the low
// nibble of byte j).
template <bool Q4>
inline __m512 load_codes16(const uint8_t* p) {
  if constexpr (Q4) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(bytes, nibble);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi8(lo, hi)));
  } else {
    return _mm512_cvtepi32_ps(
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
}

template <int M, bool Q4>
void gemm_rows(const float* x, int64_t ldx, const float* xsum, const QuantMatrix& w,
               const float* bias, float* y, int64_t ldy) {
  const QuantFormat& f = w.format;
  const int64_t g = f.group_size, bb = block_bytes(f), groups = groups_per_row(f, w.cols);
  for (int64_t j = 0; j < w.rows; ++j) {
    const uint8_t* block = w.data + j * row_bytes(f, w.cols);
    __m512 total[M];
    float min_part[M];
    for (int i = 0; i < M; ++i) {
      total[i] = _mm512_setzero_ps();
      min_part[i] = 0.0f;
    }
    for (int64_t grp = 0; grp < groups; ++grp, block += bb) {
      const GroupHeader h = load_header(block);
      const uint8_t* codes = block + sizeof(GroupHeader);
      const float* xg = x + grp * g;
      // Two accumulators per row of x break the FMA latency chain of a short group; the loop
      // takes 32 codes a step so that both stay in registers.
      __m512 acc0[M], acc1[M];
      for (int i = 0; i < M; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
      int64_t k = 0;
      for (; k + 32 <= g; k += 32) {
        const __m512 c0 = load_codes16<Q4>(codes + (Q4 ? k / 2 : k));
        const __m512 c1 = load_codes16<Q4>(codes + (Q4 ? (k + 16) / 2 : k + 16));
        for (int i = 0; i < M; ++i) {
          acc0[i] = _mm512_fmadd_ps(c0, _mm512_loadu_ps(xg + i * ldx + k), acc0[i]);
          acc1[i] = _mm512_fmadd_ps(c1, _mm512_loadu_ps(xg + i * ldx + k + 16), acc1[i]);
        }
      }
      if (k < g) {  // g = 16 (mod 32)
        const __m512 c0 = load_codes16<Q4>(codes + (Q4 ? k / 2 : k));
        for (int i = 0; i < M; ++i)
          acc0[i] = _mm512_fmadd_ps(c0, _mm512_loadu_ps(xg + i * ldx + k), acc0[i]);
      }
      const __m512 scale = _mm512_set1_ps(_cvtsh_ss(h.scale));
      const float min = _cvtsh_ss(h.min);
      for (int i = 0; i < M; ++i) {
        total[i] = _mm512_fmadd_ps(_mm512_add_ps(acc0[i], acc1[i]), scale, total[i]);
        min_part[i] += min * xsum[i * groups + grp];
      }
    }
    const float b = bias ? bias[j] : 0.0f;
    for (int i = 0; i < M; ++i) y[i * ldy + j] = _mm512_reduce_add_ps(total[i]) + min_part[i] + b;
  }
}

}  // namespace

void gemv(const float* x, const float* xsum, const QuantMatrix& w, const float* bias, float* y) {
  if (w.format.bits == QuantBits::k4) {
    gemm_rows<1, true>(x, 0, xsum, w, bias, y, 0);
  } else {
    gemm_rows<1, false>(x, 0, xsum, w, bias, y, 0);
  }
}

}  // namespace strata::quant::avx512
