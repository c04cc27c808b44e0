// CPU attention over a KV cache: for each sequence b, query head h (reading KV head
// g = h / (heads / kv_heads)) and new position t at slot p = first_query_slot + t,
//   out[b, t, h] = softmax_s(scale · q[b, t, h] · k[b, s, g]) · v[b, s, g]
// over slots s with key_valid[b, s], s <= p (causal) and, with a window, s > p - window.
// A dense cache here (f32, or f16/bf16 widened in the inner loops: cpu_attention_head.h); a
// compressed one in cpu_attention_packed.cpp, which keeps this order of operations so both give
// the same result over the same (dequantized) values.
#include <vector>

#include "engine/backend/cpu/cpu_attention_head.h"
#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void CpuBackend::do_attention(const AttentionArgs& a) {
  if (is_quantized(a.k_cache.dtype())) return packed_attention(a);
  const int64_t batch = a.q.dim(0), t_new = a.q.dim(1), e = a.q.dim(2);
  const int64_t s_max = a.k_cache.dim(1), heads = a.num_heads, d = e / heads;
  const int64_t group = heads / a.kv_heads(), kv_e = a.kv_heads() * d;
  std::vector<float> scores(static_cast<size_t>(s_max));
  with_kv_elements(a.k_cache.dtype(), [&](auto elements) {
    using E = decltype(elements);
    using Raw = typename E::Raw;
    for (int64_t b = 0; b < batch; ++b) {
      const uint8_t* valid = a.key_valid + b * s_max;
      const Raw* keys = a.k_cache.data<Raw>() + b * s_max * kv_e;
      const Raw* values = a.v_cache.data<Raw>() + b * s_max * kv_e;
      for (int64_t t = 0; t < t_new; ++t) {
        const int64_t last = a.first_query_slot + t;  // causal: slots [begin, last]
        const int64_t begin = first_visible_slot(last, a.window);
        for (int64_t h = 0; h < heads; ++h) {
          const int64_t kv = (h / group) * d;  // the KV head's columns
          attend_one_head<E>(a.q.data<float>() + (b * t_new + t) * e + h * d, keys + kv,
                             values + kv, valid, begin, last + 1, kv_e, d, a.scale,
                             scores.data(), a.out.data<float>() + (b * t_new + t) * e + h * d);
        }
      }
    }
  });
}

}  // namespace strata
