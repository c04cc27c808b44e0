// IEEE binary16 (from quant/fp16.h) and bfloat16 <-> binary32 conversions, bit-exact,
// round-to-nearest-even.
// Scalar and portable on purpose: they define the numbers every SIMD path must reproduce.
#pragma once

#include <cstdint>
#include <cstring>

#include "quant/fp16.h"

namespace strata {

inline float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint32_t float_to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

// binary16 lives in quant/ (host and device code share it); the engine uses the same functions.
using quant::f16_to_f32;
using quant::f32_to_f16;

inline float bf16_to_f32(uint16_t b) { return bits_to_float(uint32_t(b) << 16); }

inline uint16_t f32_to_bf16(float f) {
  const uint32_t x = float_to_bits(f);
  if ((x & 0x7fffffff) > 0x7f800000) return uint16_t((x >> 16) | 0x40);  // quiet nan
  const uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return uint16_t((x + rounding) >> 16);
}

// dst[i] = src[i] rounded to nearest even as f16 (bits equal to f32_to_f16's, NaN quiet, overflow
// to inf) or bf16 (f32_to_bf16's), i < n. Written with selects, not branches, so the loop
// vectorizes: it converts every new KV cache row (engine/models/kv_format.h).
inline void round_to_half(const float* src, int64_t n, bool bf16, uint16_t* dst) {
  if (bf16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
    return;
  }
  // F. Giesen's float_to_half_fast3_rtne: normals by an integer rounding add, subnormals by an
  // exact fp32 addition that lands the rounded mantissa in the low bits.
  constexpr uint32_t kDenormMagic = ((127 - 15) + (23 - 10) + 1) << 23;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t x = float_to_bits(src[i]);
    const uint32_t sign = x & 0x80000000u, f = x ^ sign;
    const uint32_t special = f > 0x7f800000u ? 0x7e00u : 0x7c00u;  // nan : inf (and overflow)
    const uint32_t sub = float_to_bits(bits_to_float(f) + bits_to_float(kDenormMagic)) -
                         kDenormMagic;
    const uint32_t normal = (f + ((15u - 127u) << 23) + 0xfffu + ((f >> 13) & 1u)) >> 13;
    const uint32_t h = f >= 0x47800000u ? special : f < 0x38800000u ? sub : normal;
    dst[i] = uint16_t(h | (sign >> 16));
  }
}

}  // namespace strata
