// One query and one head of CPU attention over an fp32 cache region: the arithmetic that the
// CPU backend's attention and the host partial attention (attention_partial.h) share, so that
// one part covering a whole cache gives the backend's result bit for bit.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace strata {

struct HeadSoftmax {
  float max_score;  // -inf when no slot was valid (out is then zero)
  float total;      // sum of exp(score - max_score) over the valid slots
};

// The first slot a query at slot `last` sees: 0, or with a sliding window the oldest of the
// `window` slots ending at `last` (AttentionArgs::window).
inline int64_t first_visible_slot(int64_t last, int64_t window) {
  return window > 0 ? std::max<int64_t>(0, last - window + 1) : 0;
}

// out[0, d) = softmax_s(scale · q · k_s) · v_s over slots s in [begin, end) with valid[s], where
// k_s = keys + s * row_stride (already offset to the query head's KV head), likewise v_s.
// `scores` holds `end` floats of scratch.
inline HeadSoftmax attend_one_head(const float* q, const float* keys, const float* values,
                                   const uint8_t* valid, int64_t begin, int64_t end,
                                   int64_t row_stride, int64_t d, float scale, float* scores,
                                   float* out) {
  HeadSoftmax r{-std::numeric_limits<float>::infinity(), 0.0f};
  for (int64_t s = begin; s < end; ++s) {
    if (!valid[s]) continue;
    const float* k = keys + s * row_stride;
    float dot = 0.0f;
    for (int64_t i = 0; i < d; ++i) dot += q[i] * k[i];
    scores[s] = dot * scale;
    r.max_score = std::max(r.max_score, scores[s]);
  }
  for (int64_t i = 0; i < d; ++i) out[i] = 0.0f;
  if (r.max_score == -std::numeric_limits<float>::infinity()) return r;  // a padding query
  for (int64_t s = begin; s < end; ++s) {
    if (!valid[s]) continue;
    scores[s] = std::exp(scores[s] - r.max_score);
    r.total += scores[s];
  }
  const float inv_total = 1.0f / r.total;
  for (int64_t s = begin; s < end; ++s) {
    if (!valid[s]) continue;
    const float p = scores[s] * inv_total;
    const float* v = values + s * row_stride;
    for (int64_t i = 0; i < d; ++i) out[i] += p * v[i];
  }
  return r;
}

}  // namespace strata
