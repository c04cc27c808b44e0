// One query and one head of CPU attention over a dense cache region (f32, f16 or bf16 elements):
// the arithmetic that the CPU backend's attention and the host partial attention
// (attention_partial.h) share, so that one part covering a whole cache gives the backend's
// result bit for bit. Half elements are widened (exactly) one K or V row of head_dim at a time,
// into a scratch row in L1 that the dot product or the weighted sum reads at once: no fp32 copy
// of the cache is made, the widening loop has no reduction and vectorizes, and the fp32
// operations are those over the widened values, in the same order, so a half cache gives bit
// for bit what the f32 kernel gives over its widened copy.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "engine/core/dtype.h"
#include "engine/core/half.h"
#include "quant/half_gemm.h"

namespace strata {

// How attention reads one cache element as fp32 (Raw: the stored type).
struct F32Elements {
  using Raw = float;
  static float load(const float* p, int64_t i) { return p[i]; }
};
struct Bf16Elements {
  using Raw = uint16_t;
  static float load(const uint16_t* p, int64_t i) { return bf16_to_f32(p[i]); }
};
struct F16Elements {
  using Raw = uint16_t;
  // Exact binary16 -> binary32 with selects instead of branches, so a row's loop vectorizes
  // (F. Giesen's half_to_float: rebias the exponent; subnormals through one exact fp32
  // subtraction). tests/ops checks it against a float64 decode for all 65536 codes.
  static float load(const uint16_t* p, int64_t i) {
    const uint32_t h = p[i];
    const uint32_t body = (h & 0x7fffu) << 13;  // exponent and mantissa, in fp32 position
    const uint32_t exp = body & 0x0f800000u;    // the half's exponent field, shifted
    const uint32_t normal = body + ((127u - 15u) << 23) +
                            (exp == 0x0f800000u ? (128u - 16u) << 23 : 0u);  // inf / nan: all ones
    // Zero / subnormal: mantissa * 2^-24, as (2^-14 + mantissa * 2^-24) - 2^-14, both exact.
    const float subnormal = bits_to_float(body + (113u << 23)) - bits_to_float(113u << 23);
    const uint32_t magnitude = exp == 0 ? float_to_bits(subnormal) : normal;
    return bits_to_float(magnitude | ((h & 0x8000u) << 16));
  }
};

struct HeadSoftmax {
  float max_score;  // -inf when no slot was valid (out is then zero)
  float total;      // sum of exp(score - max_score) over the valid slots
};

// The first slot a query at slot `last` sees: 0, or with a sliding window the oldest of the
// `window` slots ending at `last` (AttentionArgs::window).
inline int64_t first_visible_slot(int64_t last, int64_t window) {
  return window > 0 ? std::max<int64_t>(0, last - window + 1) : 0;
}

// A cache row of d elements as fp32: itself (f32), or widened into `row` (d floats of scratch).
template <typename E>
inline const float* widened_row(const typename E::Raw* src, int64_t d, float* row) {
  if constexpr (std::is_same_v<E, F32Elements>) {
    return src;
  } else {
    // vcvtph2ps / a 16-bit shift (quant's widening kernels, exact like E::load): the portable
    // loop above ran at ~3 ns per element and tripled a decode step at 256 slots of context.
    quant::widen_halves(src, std::is_same_v<E, F16Elements> ? quant::HalfType::kF16
                                                            : quant::HalfType::kBf16,
                        d, row);
    return row;
  }
}

// out[0, d) = softmax_s(scale · q · k_s) · v_s over slots s in [begin, end) with valid[s], where
// k_s = keys + s * row_stride elements (already offset to the query head's KV head), likewise
// v_s. `scores` holds `end` floats of scratch, `row` d floats (a widened K or V row).
template <typename E>
inline HeadSoftmax attend_one_head(const float* q, const typename E::Raw* keys,
                                   const typename E::Raw* values, const uint8_t* valid,
                                   int64_t begin, int64_t end, int64_t row_stride, int64_t d,
                                   float scale, float* scores, float* row, float* out) {
  HeadSoftmax r{-std::numeric_limits<float>::infinity(), 0.0f};
  for (int64_t s = begin; s < end; ++s) {
    if (!valid[s]) continue;
    const float* k = widened_row<E>(keys + s * row_stride, d, row);
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
    const float* v = widened_row<E>(values + s * row_stride, d, row);
    for (int64_t i = 0; i < d; ++i) out[i] += p * v[i];
  }
  return r;
}

// Calls f(E{}) with E the element reader of a dense KV cache dtype (f32, f16, bf16).
template <typename F>
inline void with_kv_elements(DType t, F&& f) {
  switch (t) {
    case DType::f16: return f(F16Elements{});
    case DType::bf16: return f(Bf16Elements{});
    default: return f(F32Elements{});
  }
}

}  // namespace strata
