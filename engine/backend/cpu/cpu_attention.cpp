// CPU attention over a KV cache: for each sequence b, query head h (reading KV head
// g = h / (heads / kv_heads)) and new position t at slot p = first_query_slot + t,
//   out[b, t, h] = softmax_s(scale · q[b, t, h] · k[b, s, g]) · v[b, s, g]
// over slots s with key_valid[b, s], s <= p (causal) and, with a window, s > p - window.
// A dense cache here (f32, or f16/bf16 widened in the inner loops: cpu_attention_head.h); a
// compressed one in cpu_attention_packed.cpp, which keeps this order of operations so both give
// the same result over the same (dequantized) values.
#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void CpuBackend::do_attention(const AttentionArgs& a) {
  if (is_quantized(a.k_cache.dtype())) return packed_attention(a);
  dense_attention_cpu(a, 0, nullptr, nullptr);  // the whole cache: part offset 0
}

}  // namespace strata
