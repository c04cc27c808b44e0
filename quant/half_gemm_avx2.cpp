// AVX2 + FMA + F16C half-weight GEMM: as half_gemm_avx512.cpp with 8 lanes and blocks of at most 2
// rows of x by 4 weight rows (8 accumulators + 4 weights + x fit the 16 ymm registers); the k tail
// is summed in scalar after the vector part.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "quant/codes_avx2.h"
#include "quant/fp16.h"
#include "quant/half_gemm_driver.h"

namespace strata::quant::avx2 {
namespace {

template <HalfType T>
inline __m256 widen8(__m128i h) {
  if constexpr (T == HalfType::kF16) {
    return _mm256_cvtph_ps(h);
  } else {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

template <HalfType T>
inline float widen1(uint16_t h) {
  if constexpr (T == HalfType::kF16) {
    return f16_to_f32(h);
  } else {
    return bits_as_f32(uint32_t(h) << 16);
  }
}

struct Kernel {
  // 2 x 4 accumulators + 4 weights + x: 13 of the 16 ymm registers.
  static constexpr int kMaxRowsOfX = 2;

  template <HalfType T, int MB, int NB>
  static void block(const float* x, int64_t ldx, const uint16_t* w, int64_t ldw, int64_t k,
                    float* y, int64_t ldy) {
    __m256 acc[MB][NB];
    for (int i = 0; i < MB; ++i)
      for (int j = 0; j < NB; ++j) acc[i][j] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
      __m256 wv[NB];
      for (int j = 0; j < NB; ++j) {
        if (p % 32 == 0)  // one prefetch per 64-byte line (see half_gemm_avx512.cpp)
          _mm_prefetch(reinterpret_cast<const char*>(w + (NB + j) * ldw + p), _MM_HINT_T0);
        wv[j] = widen8<T>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + j * ldw + p)));
      }
      for (int i = 0; i < MB; ++i) {
        const __m256 xv = _mm256_loadu_ps(x + i * ldx + p);
        for (int j = 0; j < NB; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    for (int i = 0; i < MB; ++i) {
      for (int j = 0; j < NB; ++j) {
        float sum = horizontal_sum(acc[i][j]);
        for (int64_t q = p; q < k; ++q) sum += x[i * ldx + q] * widen1<T>(w[j * ldw + q]);
        y[i * ldy + j] = sum;
      }
    }
  }
};

}  // namespace

void half_gemm_slice(const HalfGemmSlice& s) { half_driver::half_gemm_slice<Kernel>(s); }

void widen_half(const uint16_t* src, HalfType type, int64_t count, float* dst) {
  int64_t p = 0;
  if (type == HalfType::kF16) {
    for (; p + 8 <= count; p += 8)
      _mm256_storeu_ps(dst + p, widen8<HalfType::kF16>(
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + p))));
    for (; p < count; ++p) dst[p] = widen1<HalfType::kF16>(src[p]);
  } else {
    for (; p + 8 <= count; p += 8)
      _mm256_storeu_ps(dst + p, widen8<HalfType::kBf16>(
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + p))));
    for (; p < count; ++p) dst[p] = widen1<HalfType::kBf16>(src[p]);
  }
}

}  // namespace strata::quant::avx2
