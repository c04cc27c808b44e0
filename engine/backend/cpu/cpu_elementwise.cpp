// CPU row-wise and elementwise ops: layer norm, residual add, activations, SwiGLU's silu_mul,
// embedding gather.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/cpu/row_sums.h"
#include "engine/core/convert.h"

namespace strata {

const float* CpuBackend::widened_param(const Tensor& p, int64_t h, std::vector<float>& buffer,
                                       float fill) {
  buffer.resize(size_t(h));
  if (p.empty()) {
    std::fill(buffer.begin(), buffer.end(), fill);
  } else {
    convert_to_f32(p.data(), p.dtype(), h, buffer.data());
  }
  return buffer.data();
}

void CpuBackend::for_bands(int64_t items, int64_t item_elems,
                           const std::function<void(int64_t, int64_t)>& range) {
  // Below 64 Ki elements per thread, waking a second thread costs more than it saves. Threads
  // take 16 Ki-element bands from the pool's counter, so one that is slow to wake (a busy
  // machine) leaves its bands to the others instead of holding the op up.
  constexpr int64_t kElemsPerThread = int64_t(1) << 16, kElemsPerBand = int64_t(1) << 14;
  const int64_t width = std::max<int64_t>(item_elems, 1);
  const int team = int(std::clamp<int64_t>(items * width / kElemsPerThread, 1, threads_));
  const int64_t band = std::max<int64_t>(1, kElemsPerBand / width);
  compute().run(team, (items + band - 1) / band, [&](int64_t t) {
    range(t * band, std::min(items, (t + 1) * band));
  });
}

void CpuBackend::for_rows(int64_t m, int64_t h, const std::function<void(int64_t)>& row) {
  for_bands(m, h, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) row(i);
  });
}

void CpuBackend::do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                               float eps, Tensor& y) {
  const int64_t m = x.dim(0), h = x.dim(1);
  const float* g = widened_param(gamma, h, gamma_f32_, 1.0f);
  const float* b = widened_param(beta, h, beta_f32_, 0.0f);
  for_rows(m, h, [&](int64_t i) {
    const float* in = x.data<float>() + i * h;
    float* out = y.data<float>() + i * h;
    // Two passes (mean, then centred variance) as torch does, so large means cost no precision.
    const float mean = row_sums::sum(in, h) / float(h);
    const float var = row_sums::centred_squares(in, h, mean) / float(h);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (int64_t j = 0; j < h; ++j) out[j] = (in[j] - mean) * inv * g[j] + b[j];
  });
}

void CpuBackend::do_add(const Tensor& x, Tensor& y) {
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for_bands(y.numel(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] += in[i];
  });
}

void CpuBackend::do_activation(Activation kind, Tensor& x) {
  float* v = x.data<float>();
  for_bands(x.numel(), 1, [&](int64_t begin, int64_t end) {
    switch (kind) {
      case Activation::relu:
        // Clears every element whose sign bit is set, without a branch: GCC -O2 compiled both
        // `x > 0 ? x : 0` and std::max to a branch, mispredicted on half of a layer's
        // random-signed elements (9% of a small prefill's samples).
        for (int64_t i = begin; i < end; ++i) {
          const uint32_t bits = std::bit_cast<uint32_t>(v[i]);
          v[i] = std::bit_cast<float>(bits & ~uint32_t(int32_t(bits) >> 31));
        }
        return;
      case Activation::gelu:
        for (int64_t i = begin; i < end; ++i)
          v[i] = 0.5f * v[i] * (1.0f + std::erf(v[i] * float(M_SQRT1_2)));
        return;
    }
  });
}

void CpuBackend::do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) {
  const float* g = gate.data<float>();
  const float* u = up.data<float>();
  float* o = out.data<float>();
  // silu(g) = g * sigmoid(g) = g / (1 + e^-g) (torch's silu); e^-g overflowing to inf for very
  // negative g gives -0, the limit. Each element is read before it is written, so out may alias.
  for_bands(out.numel(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
  });
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
