// The merge of two partial softmax-attention results over disjoint key sets (FlashAttention's
// online softmax, Dao et al. 2022, Alg. 1; flash-decoding's split-KV reduction). A partial
// result for one (sequence, query, head) is
//   out[d] = sum_s p_s v_s[d] / sum,  p_s = exp(score_s - max),  sum = sum_s p_s,
//   max = max_s score_s   (score = scale q·k over the part's visible slots)
// with out = 0, max = -inf, sum = 0 when the part has no visible slot. Two parts over disjoint
// slots merge exactly into the result over their union (up to fp32 rounding):
//   m = max(max_a, max_b), w_a = sum_a exp(max_a - m), w_b = sum_b exp(max_b - m),
//   out = (w_a out_a + w_b out_b) / (w_a + w_b), max = m, sum = w_a + w_b.
// Used for decode attention over a KV cache split between device and host (cpu_attention): the
// device part on the GPU, the host part on the CPU, then one merge.
//
// Header-only, C++17, callable from host code and CUDA kernels (STRATA_HD), so the device merge
// kernel and the host merge (attention_partial.h) compute the very same numbers.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define STRATA_HD __host__ __device__
#else
#define STRATA_HD
#endif

namespace strata {

// Merges part b into part a for one head: out_a[0, d), max_a and sum_a are updated in place.
// out_b may not alias out_a.
STRATA_HD inline void merge_partial_head(float* out_a, float& max_a, float& sum_a,
                                         const float* out_b, float max_b, float sum_b,
                                         int64_t d) {
  if (!(sum_b > 0.0f)) return;  // b saw no slot: a is already the union
  if (!(sum_a > 0.0f)) {        // a saw no slot: the union is b
    for (int64_t i = 0; i < d; ++i) out_a[i] = out_b[i];
    max_a = max_b;
    sum_a = sum_b;
    return;
  }
  const float m = max_a > max_b ? max_a : max_b;
  const float w_a = sum_a * expf(max_a - m), w_b = sum_b * expf(max_b - m);
  const float total = w_a + w_b;
  const float c_a = w_a / total, c_b = w_b / total;
  for (int64_t i = 0; i < d; ++i) out_a[i] = c_a * out_a[i] + c_b * out_b[i];
  max_a = m;
  sum_a = total;
}

}  // namespace strata
