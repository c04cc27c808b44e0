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

}  // namespace strata
