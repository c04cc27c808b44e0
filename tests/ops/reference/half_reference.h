// Float64 references for half-precision KV caches (f16, bf16): a half's value decoded from its
// bit fields, and the round-to-nearest-even property a stored half must have — written from the
// IEEE definitions, independently of engine/core/half.h and the kernels' converters.
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/core/dtype.h"

namespace strata::ops_test {

// A half's value in float64, decoded from its fields (IEEE binary16, or bfloat16: the top half
// of a binary32), independently of engine/core/half.h.
inline double half_value(uint16_t h, DType t) {
  const bool f16 = t == DType::f16;
  const int mant_bits = f16 ? 10 : 7, bias = f16 ? 15 : 127, exp_max = f16 ? 31 : 255;
  const int e = (h >> mant_bits) & exp_max;
  const double mant = double(h & ((1 << mant_bits) - 1));
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == exp_max) return mant == 0 ? sign * INFINITY : NAN;
  if (e == 0) return sign * std::ldexp(mant, 1 - bias - mant_bits);
  return sign * std::ldexp(mant + std::ldexp(1.0, mant_bits), e - bias - mant_bits);
}

// Whether h is x rounded to nearest, ties to even: no finite neighbour of h is nearer to x (for
// |x| beyond the largest finite half, h is infinite, as round-to-nearest overflows).
inline bool rounds_to_nearest_even(float x, uint16_t h, DType t) {
  const double v = half_value(h, t), err = std::fabs(double(x) - v);
  if (std::isinf(v)) return std::fabs(x) >= (t == DType::f16 ? 65520.0 : 3.3961e38);
  for (int step : {-1, 1}) {
    // Neighbours by magnitude: the next code up or down in |h| (crossing zero to -0 is harmless).
    const uint16_t mag = h & 0x7fff;
    if (mag == 0 && step < 0) continue;
    const uint16_t n = uint16_t((h & 0x8000) | uint16_t(mag + step));
    const double nv = half_value(n, t);
    if (std::isnan(nv)) continue;
    const double nerr = std::fabs(double(x) - nv);
    if (nerr < err || (nerr == err && (h & 1))) return false;
  }
  return true;
}


}  // namespace strata::ops_test
