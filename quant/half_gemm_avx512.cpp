// AVX-512 half-weight GEMM (compiled with -mavx512f -mavx512bw -mavx512vl): blocks of MB rows of x
// by NB rows of w, MB * NB zmm accumulators of 16 lanes along k. Each block of NB weight rows is
// read from memory once (decode: m <= 4 is one block of x rows) and re-read from L1/L2 for the
// further blocks of x. The k tail is a masked load (zeros contribute nothing), so any k works.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the pass-through of their unmasked
// forms, which -Wuninitialized reports at every use (GCC bug 105593); nothing is uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>

#include "quant/half_gemm_driver.h"

namespace strata::quant::avx512 {
namespace {

template <HalfType T>
inline __m512 widen16(__m256i h) {
  if constexpr (T == HalfType::kF16) {
    return _mm512_cvtph_ps(h);
  } else {  // bf16 is the top half of an f32
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
}

// y[i, j] for i < MB, j < NB: x rows at x + i * ldx, w rows at w + j * ldw, k columns.
struct Kernel {
  // 4 x 4 accumulators + 4 weights + x: 21 of the 32 zmm registers.
  static constexpr int kMaxRowsOfX = 4;

  template <HalfType T, int MB, int NB>
  static void block(const float* x, int64_t ldx, const uint16_t* w, int64_t ldw, int64_t k,
                    float* y, int64_t ldy) {
    __m512 acc[MB][NB];
    for (int i = 0; i < MB; ++i)
      for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k; p += 16) {
      __m512 wv[NB];
      for (int j = 0; j < NB; ++j) {
        // The next block's rows at the same columns. A block reads NB rows of k halves in
        // parallel, rows of 1.5 KiB at OPT-125m's k = 768: the hardware prefetcher ramps up
        // on each short stream too late, and decode-shaped products reached 8-16 GB/s instead
        // of the ~20 GB/s of 4 KiB rows. Prefetching one block ahead gave 1.0-2.1x (median
        // ~1.2x) at m = 1-8 on OPT-125m's and OPT-1.3b's shapes (docs/benchmarks.md section 9).
        _mm_prefetch(reinterpret_cast<const char*>(w + (NB + j) * ldw + p), _MM_HINT_T0);
        wv[j] = widen16<T>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j * ldw + p)));
      }
      for (int i = 0; i < MB; ++i) {
        const __m512 xv = _mm512_loadu_ps(x + i * ldx + p);
        for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    if (p < k) {
      const __mmask16 mask = __mmask16((1u << (k - p)) - 1u);
      __m512 wv[NB];
      for (int j = 0; j < NB; ++j)
        wv[j] = widen16<T>(_mm256_maskz_loadu_epi16(mask, w + j * ldw + p));
      for (int i = 0; i < MB; ++i) {
        const __m512 xv = _mm512_maskz_loadu_ps(mask, x + i * ldx + p);
        for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    for (int i = 0; i < MB; ++i)
      for (int j = 0; j < NB; ++j) y[i * ldy + j] = _mm512_reduce_add_ps(acc[i][j]);
  }
};

}  // namespace

void half_gemm_slice(const HalfGemmSlice& s) { half_driver::half_gemm_slice<Kernel>(s); }

void widen_half(const uint16_t* src, HalfType type, int64_t count, float* dst) {
  int64_t p = 0;
  if (type == HalfType::kF16) {
    for (; p + 16 <= count; p += 16)
      _mm512_storeu_ps(dst + p, widen16<HalfType::kF16>(
                                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + p))));
  } else {
    for (; p + 16 <= count; p += 16)
      _mm512_storeu_ps(dst + p, widen16<HalfType::kBf16>(
                                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + p))));
  }
  if (p < count) {
    const __mmask16 mask = __mmask16((1u << (count - p)) - 1u);
    const __m256i h = _mm256_maskz_loadu_epi16(mask, src + p);
    const __m512 v =
        type == HalfType::kF16 ? widen16<HalfType::kF16>(h) : widen16<HalfType::kBf16>(h);
    _mm512_mask_storeu_ps(dst + p, mask, v);
  }
}

}  // namespace strata::quant::avx512
