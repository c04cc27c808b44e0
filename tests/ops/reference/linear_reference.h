// Float64 references of linear (y = x · wᵀ + b), and the weights as a backend really sees them:
// f32/f16/bf16 storage with the values each stored element stands for, and x rounded as a
// backend's GEMM rounds it.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/core/half.h"

namespace strata::ops_test {

inline constexpr double kU = 1.0 / 16777216.0;  // 2^-24, fp32 unit roundoff

// v as stored in `dt` (f32, f16 or bf16), read back in double.
inline double round_to(DType dt, float v) {
  switch (dt) {
    case DType::f16:
      return f16_to_f32(f32_to_f16(v));
    case DType::bf16:
      return bf16_to_f32(f32_to_bf16(v));
    default:
      return v;
  }
}

// Values stored in `dtype`: the bytes to upload, and the values they stand for (what a
// reference over the stored weights must use).
struct StoredValues {
  DType dtype;
  std::vector<float> f32;
  std::vector<uint16_t> half;
  std::vector<double> decoded;

  StoredValues(const std::vector<float>& v, DType dt) : dtype(dt) {
    decoded.resize(v.size());
    if (dt == DType::f32) {
      f32 = v;
      for (size_t i = 0; i < v.size(); ++i) decoded[i] = v[i];
      return;
    }
    half.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      half[i] = dt == DType::f16 ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
      decoded[i] = dt == DType::f16 ? f16_to_f32(half[i]) : bf16_to_f32(half[i]);
    }
  }
  template <typename Upload>
  auto to_device(Upload&& upload) const {
    return dtype == DType::f32 ? upload(f32) : upload(half);
  }
};

// y[m, n] = sum_p x[m, p] w[n, p] + b[n], in double (b may be empty: no bias).
inline std::vector<double> linear_ref(const std::vector<double>& x, const std::vector<double>& w,
                                      const std::vector<double>& b, int64_t m, int64_t k,
                                      int64_t n) {
  std::vector<double> y(size_t(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = b.empty() ? 0.0 : b[size_t(j)];
      for (int64_t p = 0; p < k; ++p) acc += x[size_t(i * k + p)] * w[size_t(j * k + p)];
      y[size_t(i * n + j)] = acc;
    }
  }
  return y;
}

// Counts the elements of y[m, n] outside |y - ref| <= slack u sum_p |x w| + u |b| + 1e-30 around
// ref = sum_p x[i, p] w[j, p] + b[j] (fp32 accumulation of k products in any order: (k + 2) u;
// tensor cores, which may truncate: (2k + 8) u). Reports the first few.
inline int64_t count_out_of_bound(const std::vector<float>& y, const std::vector<double>& x,
                                  const std::vector<double>& w, const std::vector<double>& b,
                                  int64_t m, int64_t k, int64_t n, double slack) {
  int64_t bad = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double bias = b.empty() ? 0.0 : b[size_t(j)];
      double ref = bias, mag = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double t = x[size_t(i * k + p)] * w[size_t(j * k + p)];
        ref += t;
        mag += std::fabs(t);
      }
      const double tol = slack * kU * mag + kU * std::fabs(bias) + 1e-30;
      const double got = y[size_t(i * n + j)];
      if (!(std::fabs(got - ref) <= tol)) {
        if (bad < 3) {
          UNSCOPED_INFO("y[" << i << ", " << j << "] = " << got << ", ref " << ref << ", tol "
                             << tol);
        }
        ++bad;
      }
    }
  }
  return bad;
}

}  // namespace strata::ops_test
