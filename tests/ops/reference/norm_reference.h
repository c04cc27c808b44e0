// Float64 references of the row norms: layer norm (population variance, (x - mean) /
// sqrt(var + eps) * g + b) and RMSNorm (x / sqrt(mean(x²) + eps) * g), per row of [m, h].
// Empty g / b mean 1 / 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace strata::ops_test {

inline std::vector<double> layer_norm_ref(const std::vector<float>& x, int64_t m, int64_t h,
                                          const std::vector<double>& g,
                                          const std::vector<double>& b, float eps) {
  std::vector<double> ref(x.size());
  for (int64_t i = 0; i < m; ++i) {
    double mean = 0.0, var = 0.0;
    for (int64_t j = 0; j < h; ++j) mean += x[size_t(i * h + j)];
    mean /= double(h);
    for (int64_t j = 0; j < h; ++j) var += std::pow(x[size_t(i * h + j)] - mean, 2);
    var /= double(h);
    for (int64_t j = 0; j < h; ++j) {
      const double n = (x[size_t(i * h + j)] - mean) / std::sqrt(var + double(eps));
      ref[size_t(i * h + j)] =
          n * (g.empty() ? 1.0 : g[size_t(j)]) + (b.empty() ? 0.0 : b[size_t(j)]);
    }
  }
  return ref;
}

inline std::vector<double> rms_norm_ref(const std::vector<float>& x, int64_t m, int64_t h,
                                        const std::vector<double>& g, float eps) {
  std::vector<double> ref(x.size());
  for (int64_t i = 0; i < m; ++i) {
    double squares = 0.0;
    for (int64_t j = 0; j < h; ++j) squares += double(x[size_t(i * h + j)]) * x[size_t(i * h + j)];
    const double inv = 1.0 / std::sqrt(squares / double(h) + double(eps));
    for (int64_t j = 0; j < h; ++j) {
      ref[size_t(i * h + j)] = x[size_t(i * h + j)] * inv * (g.empty() ? 1.0 : g[size_t(j)]);
    }
  }
  return ref;
}

}  // namespace strata::ops_test
