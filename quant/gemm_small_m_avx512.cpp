// AVX-512 direct dequant-dot kernel for one row of x (a decode micro-batch of one sequence), kCols
// groups of a multiple of 16 elements. For a group with scale s and minimum mn,
//   sum_k (c_k s + mn) x_k = s · sum_k c_k x_k + mn · sum_k x_k,
// so each group costs only the codes' FMAs plus one FMA for its scale; the minimum's term uses
// x's group sums, computed once by the caller. The
// AVX2 kernel instead dequantizes every element with an FMA first: on this Zen 4 (512-bit FMAs
// issue as two 256-bit halves) that extra FMA matters at one row of x (this kernel: 1.1-1.4x the
// AVX2 one) and not at 2-4 rows, where the AVX2 kernel was as fast or faster (best of 3 each,
// docs/benchmarks.md section 9), so it takes one row of x. Single-threaded; callers split row
// ranges.
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

template <bool Q4>
void gemv_bits(const float* x, const float* xsum, const QuantMatrix& w, const float* bias,
               float* y) {
  const QuantFormat& f = w.format;
  const int64_t g = f.group_size, bb = block_bytes(f), groups = groups_per_row(f, w.cols);
  for (int64_t j = 0; j < w.rows; ++j) {
    const uint8_t* block = w.data + j * row_bytes(f, w.cols);
    __m512 total = _mm512_setzero_ps();
    float min_part = 0.0f;
    for (int64_t grp = 0; grp < groups; ++grp, block += bb) {
      const GroupHeader h = load_header(block);
      const uint8_t* codes = block + sizeof(GroupHeader);
      const float* xg = x + grp * g;
      // Two accumulators break the FMA latency chain of a short group; the loop takes 32 codes a
      // step so that both stay in registers.
      __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
      int64_t k = 0;
      for (; k + 32 <= g; k += 32) {
        const __m512 c0 = load_codes16<Q4>(codes + (Q4 ? k / 2 : k));
        const __m512 c1 = load_codes16<Q4>(codes + (Q4 ? (k + 16) / 2 : k + 16));
        acc0 = _mm512_fmadd_ps(c0, _mm512_loadu_ps(xg + k), acc0);
        acc1 = _mm512_fmadd_ps(c1, _mm512_loadu_ps(xg + k + 16), acc1);
      }
      if (k < g) {  // g = 16 (mod 32)
        const __m512 c0 = load_codes16<Q4>(codes + (Q4 ? k / 2 : k));
        acc0 = _mm512_fmadd_ps(c0, _mm512_loadu_ps(xg + k), acc0);
      }
      const __m512 scale = _mm512_set1_ps(_cvtsh_ss(h.scale));
      total = _mm512_fmadd_ps(_mm512_add_ps(acc0, acc1), scale, total);
      min_part += _cvtsh_ss(h.min) * xsum[grp];
    }
    y[j] = _mm512_reduce_add_ps(total) + min_part + (bias ? bias[j] : 0.0f);
  }
}

}  // namespace

void gemv(const float* x, const float* xsum, const QuantMatrix& w, const float* bias, float* y) {
  if (w.format.bits == QuantBits::k4) {
    gemv_bits<true>(x, xsum, w, bias, y);
  } else {
    gemv_bits<false>(x, xsum, w, bias, y);
  }
}

}  // namespace strata::quant::avx512
