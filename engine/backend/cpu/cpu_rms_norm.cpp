// CPU RMSNorm: y = x / sqrt(mean(x²) + eps) * gamma per row (transformers LlamaRMSNorm: fp32
// statistics, then weight * normalized). The sum of squares accumulates in double: one rounding
// instead of a row's worth (a 12288-wide row summed in fp32 loses ~sqrt(n) ulps), at no cost
// that matters next to the GEMMs around it.
#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/cpu/row_sums.h"

namespace strata {

void CpuBackend::do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) {
  const int64_t m = x.dim(0), h = x.dim(1);
  const float* g = widened_param(gamma, h, gamma_f32_, 1.0f);
  for_rows(m, h, [&](int64_t i) {
    const float* in = x.data<float>() + i * h;
    float* out = y.data<float>() + i * h;
    const float mean = h > 0 ? float(row_sums::squares_f64(in, h) / double(h)) : 0.0f;
    const float inv = 1.0f / std::sqrt(mean + eps);
    // Each element read before it is written: y may alias x.
    for (int64_t j = 0; j < h; ++j) out[j] = in[j] * inv * g[j];
  });
}

}  // namespace strata
