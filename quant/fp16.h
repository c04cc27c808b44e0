// IEEE binary16 <-> binary32 conversions for quant/, bit-exact, plus the two directed roundings
// the quantizer needs (toward -inf for a group's minimum, toward +inf for its scale).
//
// Header-only and callable from host C++ and from CUDA device code (STRATA_QUANT_HD), so the
// reference quantizer and the CUDA kernels compute the very same group parameters. quant/ may not
// depend on engine/, so this re-implements engine/core/half.h's round-to-nearest-even conversion.
// No CUDA header is included: __CUDACC__ / __CUDA_ARCH__ are compiler macros.
// The helpers of fp16.h, format.h and group_codec.h have internal linkage (static) on purpose:
// they are compiled into the -mavx2 translation units as well as the portable ones, and with
// external (COMDAT) linkage the linker could keep an AVX2-encoded copy for a scalar caller.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define STRATA_QUANT_HD __host__ __device__
#else
#define STRATA_QUANT_HD
#endif

namespace strata::quant {

// Largest finite binary16 value; quantizer inputs are saturated to [-kFp16Max, kFp16Max].
inline constexpr float kFp16Max = 65504.0f;

STRATA_QUANT_HD static inline uint32_t f32_as_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
#endif
}

STRATA_QUANT_HD static inline float bits_as_f32(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
#endif
}

// Exact: every binary16 value (subnormals, +-0, inf, nan) is representable in binary32.
STRATA_QUANT_HD static inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return bits_as_f32(sign | 0x7f800000u | (mant << 13));  // inf / nan
  if (exp == 0) {
    if (mant == 0) return bits_as_f32(sign);  // signed zero
    exp = 127 - 15 + 1;                       // subnormal: normalise the mantissa
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    mant &= 0x3ffu;
    return bits_as_f32(sign | (exp << 23) | (mant << 13));
  }
  return bits_as_f32(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

// Round to nearest, ties to even; overflow gives inf, nan stays nan.
STRATA_QUANT_HD static inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_as_bits(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to >= 65520: overflow
  if (abs < 0x38800000u) {                                  // result subnormal or zero
    if (abs < 0x33000000u) return sign;                     // below half the smallest subnormal
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;
    uint32_t result = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (result & 1u))) ++result;
    return uint16_t(sign | result);
  }
  uint32_t result = (abs >> 13) - ((127u - 15u) << 10);
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (result & 1u))) ++result;
  return uint16_t(sign | result);
}

// The largest binary16 value <= f (f finite, |f| <= kFp16Max). -0 and +0 both give +0 when f is
// zero, so a header never holds -0.
STRATA_QUANT_HD static inline uint16_t f16_round_down(float f) {
  if (f == 0.0f) return 0;
  uint16_t h = f32_to_f16(f);
  if (f16_to_f32(h) > f) {
    if (h == 0x0000u) return 0x8001u;                       // +0 -> smallest negative subnormal
    h = (h & 0x8000u) ? uint16_t(h + 1) : uint16_t(h - 1);  // one step toward -inf
  }
  return h;
}

// The smallest binary16 value >= d, for 0 <= d < 65504 (a group's scale). Rounding d to float
// first cannot skip a binary16 neighbour of d, because those are floats too.
STRATA_QUANT_HD static inline uint16_t f16_round_up_nonneg(double d) {
  if (!(d > 0.0)) return 0;  // also turns a -0 quotient (hi = -0, min = +0) into +0
  uint16_t h = f32_to_f16(float(d));
  if (double(f16_to_f32(h)) < d) ++h;  // positive: the next code is the next value up
  return h;
}

}  // namespace strata::quant
