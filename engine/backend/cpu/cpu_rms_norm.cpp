// CPU RMSNorm: y = x / sqrt(mean(x²) + eps) * gamma per row (transformers LlamaRMSNorm: fp32
// statistics, then weight * normalized). The sum of squares accumulates in double: one rounding
// instead of a row's worth (a 12288-wide row summed in fp32 loses ~sqrt(n) ulps), at no cost
// that matters next to the GEMMs around it.
#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/convert.h"

namespace strata {

void CpuBackend::do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) {
  const int64_t m = x.dim(0), h = x.dim(1);
  for (int64_t i = 0; i < m; ++i) {
    const float* in = x.data<float>() + i * h;
    float* out = y.data<float>() + i * h;
    double squares = 0.0;
    for (int64_t j = 0; j < h; ++j) squares += double(in[j]) * double(in[j]);
    const float mean = h > 0 ? float(squares / double(h)) : 0.0f;
    const float inv = 1.0f / std::sqrt(mean + eps);
    for (int64_t j = 0; j < h; ++j) {  // each element read before written: y may alias x
      const float g = gamma.empty() ? 1.0f : element_f32(gamma.data(), gamma.dtype(), j);
      out[j] = in[j] * inv * g;
    }
  }
}

}  // namespace strata
