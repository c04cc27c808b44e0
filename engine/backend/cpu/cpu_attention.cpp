// CPU attention over a KV cache: for each sequence b, head h and new position t,
//   out[b, t, h] = softmax_s(scale · q[b, t, h] · k[b, s, h]) · v[b, s, h]
// over slots s <= first_query_slot + t with key_valid[b, s] (causal + padding mask).
// An fp32 cache here; a compressed one in cpu_attention_packed.cpp, which keeps this order of
// operations so both give the same result over the same (dequantized) values.
#include <cmath>
#include <limits>
#include <vector>

#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void CpuBackend::do_attention(const AttentionArgs& a) {
  if (is_quantized(a.k_cache.dtype())) return packed_attention(a);
  const int64_t batch = a.q.dim(0), t_new = a.q.dim(1), e = a.q.dim(2);
  const int64_t s_max = a.k_cache.dim(1), heads = a.num_heads, d = e / heads;
  std::vector<float> scores(static_cast<size_t>(s_max));
  for (int64_t b = 0; b < batch; ++b) {
    const uint8_t* valid = a.key_valid + b * s_max;
    const float* keys = a.k_cache.data<float>() + b * s_max * e;
    const float* values = a.v_cache.data<float>() + b * s_max * e;
    for (int64_t t = 0; t < t_new; ++t) {
      const int64_t last = a.first_query_slot + t;  // causal: slots [0, last]
      for (int64_t h = 0; h < heads; ++h) {
        const float* q = a.q.data<float>() + (b * t_new + t) * e + h * d;
        float* out = a.out.data<float>() + (b * t_new + t) * e + h * d;
        float max_score = -std::numeric_limits<float>::infinity();
        for (int64_t s = 0; s <= last; ++s) {
          if (!valid[s]) continue;
          const float* k = keys + s * e + h * d;
          float dot = 0.0f;
          for (int64_t i = 0; i < d; ++i) dot += q[i] * k[i];
          scores[size_t(s)] = dot * a.scale;
          max_score = std::max(max_score, scores[size_t(s)]);
        }
        for (int64_t i = 0; i < d; ++i) out[i] = 0.0f;
        if (max_score == -std::numeric_limits<float>::infinity()) continue;  // a padding query
        float total = 0.0f;
        for (int64_t s = 0; s <= last; ++s) {
          if (!valid[s]) continue;
          scores[size_t(s)] = std::exp(scores[size_t(s)] - max_score);
          total += scores[size_t(s)];
        }
        const float inv_total = 1.0f / total;
        for (int64_t s = 0; s <= last; ++s) {
          if (!valid[s]) continue;
          const float p = scores[size_t(s)] * inv_total;
          const float* v = values + s * e + h * d;
          for (int64_t i = 0; i < d; ++i) out[i] += p * v[i];
        }
      }
    }
  }
}

}  // namespace strata
