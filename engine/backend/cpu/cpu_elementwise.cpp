// CPU row-wise and elementwise ops: layer norm, residual add, activations, SwiGLU's silu_mul,
// embedding gather.
#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/convert.h"

namespace strata {

void CpuBackend::do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                               float eps, Tensor& y) {
  const int64_t m = x.dim(0), h = x.dim(1);
  for (int64_t i = 0; i < m; ++i) {
    const float* in = x.data<float>() + i * h;
    float* out = y.data<float>() + i * h;
    // Two passes (mean, then centred variance) as torch does, so large means cost no precision.
    float mean = 0.0f;
    for (int64_t j = 0; j < h; ++j) mean += in[j];
    mean /= float(h);
    float var = 0.0f;
    for (int64_t j = 0; j < h; ++j) var += (in[j] - mean) * (in[j] - mean);
    var /= float(h);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (int64_t j = 0; j < h; ++j) {
      const float g = gamma.empty() ? 1.0f : element_f32(gamma.data(), gamma.dtype(), j);
      const float b = beta.empty() ? 0.0f : element_f32(beta.data(), beta.dtype(), j);
      out[j] = (in[j] - mean) * inv * g + b;
    }
  }
}

void CpuBackend::do_add(const Tensor& x, Tensor& y) {
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for (int64_t i = 0, n = y.numel(); i < n; ++i) out[i] += in[i];
}

void CpuBackend::do_activation(Activation kind, Tensor& x) {
  float* v = x.data<float>();
  const int64_t n = x.numel();
  switch (kind) {
    case Activation::relu:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
      return;
    case Activation::gelu:
      for (int64_t i = 0; i < n; ++i) v[i] = 0.5f * v[i] * (1.0f + std::erf(v[i] * float(M_SQRT1_2)));
      return;
  }
}

void CpuBackend::do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) {
  const float* g = gate.data<float>();
  const float* u = up.data<float>();
  float* o = out.data<float>();
  // silu(g) = g * sigmoid(g) = g / (1 + e^-g) (torch's silu); e^-g overflowing to inf for very
  // negative g gives -0, the limit. Each element is read before it is written, so out may alias.
  for (int64_t i = 0, n = out.numel(); i < n; ++i) o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void CpuBackend::do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                              Tensor& y) {
  const int64_t m = y.dim(0), d = y.dim(1);
  const size_t row_bytes = size_t(d) * dtype_size(table.dtype());
  std::vector<float> row(static_cast<size_t>(d));
  for (int64_t i = 0; i < m; ++i) {
    float* out = y.data<float>() + i * d;
    const char* src = table.data<char>() + size_t(ids[i]) * row_bytes;
    if (mode == Accumulate::overwrite) {
      convert_to_f32(src, table.dtype(), d, out);
    } else {
      convert_to_f32(src, table.dtype(), d, row.data());
      for (int64_t j = 0; j < d; ++j) out[j] += row[j];
    }
  }
}

}  // namespace strata
