// Internal AVX2 helpers that expand packed codes and fp16 headers into fp32 lanes. Include only
// from *_avx2.cpp files (compiled with -mavx2 -mfma -mf16c).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace strata::quant::avx2 {

// Eight consecutive 4-bit codes (4 bytes at p; element 2j in the low nibble of byte j) as fp32.
inline __m256 load_q4x8(const uint8_t* p) {
  int32_t word;
  std::memcpy(&word, p, 4);
  // Bytes b0 b1 b2 b3 -> b0 b0 b1 b1 b2 b2 b3 b3, widened to 32-bit lanes, then shifted by
  // 0 / 4 alternately and masked: the low and high nibble of each byte in element order.
  const __m128i dup =
      _mm_shuffle_epi8(_mm_cvtsi32_si128(word),
                       _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, -1, -1, -1, -1, -1, -1, -1, -1));
  __m256i v = _mm256_cvtepu8_epi32(dup);
  v = _mm256_srlv_epi32(v, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
  v = _mm256_and_si256(v, _mm256_set1_epi32(0xf));
  return _mm256_cvtepi32_ps(v);
}

// Eight consecutive 8-bit codes (8 bytes at p) as fp32.
inline __m256 load_q8x8(const uint8_t* p) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

inline __m256 load_codes_x8(const uint8_t* p, bool q4) { return q4 ? load_q4x8(p) : load_q8x8(p); }

// Eight consecutive GroupHeaders (32 bytes at p: scale, min, scale, min, ...) as fp32 scale and
// min vectors. F16C converts every fp16 value (subnormals included) exactly.
inline void load_headers_x8(const uint8_t* p, __m256* scale, __m256* min) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i s = _mm256_and_si256(h, _mm256_set1_epi32(0xffff));
  const __m256i m = _mm256_srli_epi32(h, 16);
  // packus per 128-bit lane: [s0..s3 m0..m3 | s4..s7 m4..m7]; reorder the 64-bit quarters.
  const __m256i sm = _mm256_permute4x64_epi64(_mm256_packus_epi32(s, m), _MM_SHUFFLE(3, 1, 2, 0));
  *scale = _mm256_cvtph_ps(_mm256_castsi256_si128(sm));
  *min = _mm256_cvtph_ps(_mm256_extracti128_si256(sm, 1));
}

inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace strata::quant::avx2
