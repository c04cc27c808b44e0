// The 16 values a q4 group's codes decode to, for the AVX-512 q4 kernels (included only by files
// compiled with -mavx512f: the direct kernel and the strip kernel look codes up in them).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace strata::quant::avx512 {

// Lane c = fmaf(c, scale, min), as decode_value computes each weight: the lookup is exact.
inline __m512 q4_levels(const uint8_t* block) {
  uint16_t scale_bits, min_bits;
  std::memcpy(&scale_bits, block, sizeof scale_bits);
  std::memcpy(&min_bits, block + sizeof scale_bits, sizeof min_bits);
  const __m512 scale = _mm512_cvtph_ps(_mm256_set1_epi16(short(scale_bits)));
  const __m512 min = _mm512_cvtph_ps(_mm256_set1_epi16(short(min_bits)));
  const __m512 codes = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm512_fmadd_ps(codes, scale, min);
}

}  // namespace strata::quant::avx512
