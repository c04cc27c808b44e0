// CPU attention over a KV cache: for each sequence b, head h and new position t,
//   out[b, t, h] = softmax_s(scale · q[b, t, h] · k[b, s, h]) · v[b, s, h]
// over slots s <= first_query_slot + t with key_valid[b, s] (causal + padding mask).
// An fp32 cache here; a compressed one in cpu_attention_packed.cpp, which keeps this order of
// operations so both give the same result over the same (dequantized) values.
#include <vector>

#include "engine/backend/cpu/cpu_attention_head.h"
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
        attend_one_head(a.q.data<float>() + (b * t_new + t) * e + h * d, keys + h * d,
                        values + h * d, valid, last + 1, e, d, a.scale, scores.data(),
                        a.out.data<float>() + (b * t_new + t) * e + h * d);
      }
    }
  }
}

}  // namespace strata
