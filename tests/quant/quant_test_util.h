// Helpers shared by the quant tests: fresh random inputs (seed printed on failure), the formats
// under test, and the float64 re-derivation of the quantization error bound.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "quant/format.h"

namespace strata::quant::test {

// A fresh seed per run, reported by the test that uses it (CAPTURE) so a failure can be replayed.
inline uint64_t fresh_seed() {
  return (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
}

// Uniform values in [lo, hi], with every 97th value an outlier scaled by `outlier` (>= 1).
inline std::vector<float> random_matrix(std::mt19937_64& rng, int64_t rows, int64_t cols, float lo,
                                        float hi, float outlier = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> x(size_t(rows * cols));
  for (size_t i = 0; i < x.size(); ++i) x[i] = dist(rng) * (i % 97 == 5 ? outlier : 1.0f);
  return x;
}

inline std::vector<QuantFormat> all_formats() {
  std::vector<QuantFormat> out;
  for (QuantBits b : {QuantBits::k4, QuantBits::k8}) {
    for (int32_t g : {8, 32, 64, 128}) {
      for (GroupAxis a : {GroupAxis::kCols, GroupAxis::kRows}) out.push_back({b, g, a});
    }
  }
  return out;
}

// Written apart from the kernels: a binary16 (bf16 false) or bfloat16 (bf16 true) code as a
// double.
inline double half_code_value(uint16_t h, bool bf16) {
  if (bf16) {  // the top half of a binary32
    const uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  const int sign = (h >> 15) ? -1 : 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 31) return mant ? std::nan("") : sign * HUGE_VAL;
  if (exp == 0) return sign * std::ldexp(double(mant), -24);
  return sign * std::ldexp(double(1024 + mant), exp - 25);
}

// Spacing of fp16 values around v (2^-24 in the subnormal range), computed independently of
// quant/fp16.h.
inline double fp16_ulp(double v) {
  v = std::fabs(v);
  if (v < std::ldexp(1.0, -14)) return std::ldexp(1.0, -24);
  int e;
  std::frexp(v, &e);  // v = m * 2^e, m in [0.5, 1)
  return std::ldexp(1.0, e - 1 - 10);
}

// Bound on |x - dequant(quant(x))| for a group with values in [lo, hi] (already saturated to the
// fp16 range), re-derived in float64: half a step, plus the slack of storing min rounded down
// and the scale rounded up to fp16 (one extra fp16 ulp of the scale allowed for the top-code
// fix-up), plus fp32 rounding of the code computation and of the final fma.
inline double error_bound(double lo, double hi, double x, int bits) {
  const double levels = double((1 << bits) - 1);
  const double step = (hi - lo) / levels;
  const double min_slack = fp16_ulp(lo);  // lo - min
  const double scale = (step + min_slack / levels) * (1.0 + std::ldexp(1.0, -8)) +
                       2.0 * std::ldexp(1.0, -24);  // scale upper bound
  return scale / 2.0 + scale * levels * std::ldexp(1.0, -22) +
         std::ldexp(1.0, -23) * (std::fabs(x) + std::fabs(hi) + std::fabs(lo));
}

}  // namespace strata::quant::test
