// CPU rotary position embedding, transformers' rotate_half layout (modeling_llama
// apply_rotary_pos_emb): per row r and i < d/2, θ = float(positions[r]) * inv_freq[i] in fp32
// (transformers' freqs = inv_freq @ position_ids in fp32, then fp32 cos and sin), and in every
// head (x_i, x_{i+d/2}) -> (x_i cos θ - x_{i+d/2} sin θ, x_{i+d/2} cos θ + x_i sin θ).
// cos θ_i and sin θ_i are computed once per row and reused by every head.
#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void CpuBackend::do_rope(Tensor& x, int64_t head_dim, const int32_t* positions,
                         std::span<const float> inv_freq) {
  const int64_t rows = x.dim(0), width = x.dim(1), half = head_dim / 2;
  rope_cos_.resize(size_t(half));
  rope_sin_.resize(size_t(half));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < half; ++i) {
      const float theta = float(positions[r]) * inv_freq[size_t(i)];
      rope_cos_[size_t(i)] = std::cos(theta);
      rope_sin_[size_t(i)] = std::sin(theta);
    }
    float* row = x.data<float>() + r * width;
    for (int64_t h0 = 0; h0 < width; h0 += head_dim) {
      float* lo = row + h0;
      float* hi = lo + half;
      for (int64_t i = 0; i < half; ++i) {
        const float c = rope_cos_[size_t(i)], s = rope_sin_[size_t(i)];
        const float a = lo[i], b = hi[i];
        lo[i] = a * c - b * s;
        hi[i] = b * c + a * s;
      }
    }
  }
}

}  // namespace strata
