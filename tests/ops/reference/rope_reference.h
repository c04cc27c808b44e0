// Float64 reference of rotary position embedding in transformers' rotate_half layout
// (modeling_llama apply_rotary_pos_emb: q * cos + rotate_half(q) * sin, rotate_half(q) =
// cat(-q2, q1)). The angle is transformers' own: inv_freq @ position_ids in fp32, i.e.
// float(position) * inv_freq rounded once to fp32 — at position 1e5 that rounding moves the angle
// by up to 0.004 rad, far more than fp32 cos/sin error, so it is part of what the op means;
// cos, sin and the rotation are then taken in double.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace strata::ops_test {

// x: [rows, width] with width = heads * head_dim; returns the rotated copy.
inline std::vector<double> rope_ref(const std::vector<float>& x, int64_t rows, int64_t width,
                                    int64_t head_dim, const std::vector<int32_t>& positions,
                                    const std::vector<float>& inv_freq) {
  std::vector<double> y(x.begin(), x.end());
  const int64_t half = head_dim / 2;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t h0 = 0; h0 < width; h0 += head_dim) {
      for (int64_t i = 0; i < half; ++i) {
        const float theta = float(positions[size_t(r)]) * inv_freq[size_t(i)];  // fp32 product
        const double c = std::cos(double(theta)), s = std::sin(double(theta));
        const double a = x[size_t(r * width + h0 + i)], b = x[size_t(r * width + h0 + i + half)];
        y[size_t(r * width + h0 + i)] = a * c - b * s;
        y[size_t(r * width + h0 + i + half)] = b * c + a * s;
      }
    }
  }
  return y;
}

// transformers' default inverse frequencies: base^(-2i / head_dim), i < head_dim / 2, in fp32
// (computed in double and rounded once; Llama base 1e4 or 5e5, Qwen 1e6), times `factor`
// (linear rope scaling divides them: factor = 1 / scaling).
inline std::vector<float> default_inv_freq(int64_t head_dim, double base, double factor = 1.0) {
  std::vector<float> f(size_t(head_dim / 2));
  for (int64_t i = 0; i < head_dim / 2; ++i) {
    f[size_t(i)] = float(factor * std::pow(base, -2.0 * double(i) / double(head_dim)));
  }
  return f;
}

}  // namespace strata::ops_test
