// Parts of an attention case's KV cache for the partial-attention tests (attention_partial.h):
// slots [begin, end) of every sequence as their own contiguous fp32 cache, and where a part's
// result (out, max, sum) lands.
#pragma once

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/backend/attention_partial.h"
#include "ops/reference/attention_reference.h"

namespace strata::ops_test {

struct CachePart {
  int64_t begin, end;
  std::vector<float> k, v, out, max, sum;
  std::vector<uint8_t> valid;

  CachePart(const ut::AttentionCase& c, int64_t b0, int64_t b1) : begin(b0), end(b1) {
    const int64_t kv_e = c.kv_e();
    for (int64_t b = 0; b < c.b; ++b) {
      for (int64_t s = begin; s < end; ++s) {
        valid.push_back(c.valid[size_t(b * c.s + s)]);
        for (int64_t i = 0; i < kv_e; ++i) {
          k.push_back(c.k[size_t((b * c.s + s) * kv_e + i)]);
          v.push_back(c.v[size_t((b * c.s + s) * kv_e + i)]);
        }
      }
    }
    out.assign(size_t(c.b * c.t * c.e()), std::numeric_limits<float>::quiet_NaN());
    max.assign(size_t(c.b * c.t * c.heads), std::numeric_limits<float>::quiet_NaN());
    sum = max;
  }
  int64_t slots() const { return end - begin; }
};

// The arguments of partial attention of c.q over a part whose tensors are the given views.
inline AttentionPartialArgs partial_args(const ut::AttentionCase& c, const CachePart& part,
                                         Tensor q, Tensor k, Tensor v, Tensor out, Tensor max,
                                         Tensor sum) {
  AttentionPartialArgs p;
  p.attention.q = q;
  p.attention.k_cache = k;
  p.attention.v_cache = v;
  p.attention.key_valid = part.valid.data();
  p.attention.first_query_slot = c.first;
  p.attention.num_heads = c.heads;
  p.attention.num_kv_heads = c.kv_heads;
  p.attention.window = c.window;
  p.attention.scale = c.scale;
  p.attention.out = out;
  p.slot_offset = part.begin;
  p.max = max;
  p.sum = sum;
  return p;
}

// Host partial attention of the part (attention_partial_cpu) into its out / max / sum.
inline void attend_on_host(ut::AttentionCase& c, CachePart& part) {
  attention_partial_cpu(
      partial_args(c, part, Tensor(c.q.data(), DType::f32, {c.b, c.t, c.e()}),
                   Tensor(part.k.data(), DType::f32, {c.b, part.slots(), c.kv_e()}),
                   Tensor(part.v.data(), DType::f32, {c.b, part.slots(), c.kv_e()}),
                   Tensor(part.out.data(), DType::f32, {c.b, c.t, c.e()}),
                   Tensor(part.max.data(), DType::f32, {c.b, c.t, c.heads}),
                   Tensor(part.sum.data(), DType::f32, {c.b, c.t, c.heads})));
}

inline AttentionPartial host_view(const ut::AttentionCase& c, CachePart& part) {
  return {Tensor(part.out.data(), DType::f32, {c.b, c.t, c.e()}),
          Tensor(part.max.data(), DType::f32, {c.b, c.t, c.heads}),
          Tensor(part.sum.data(), DType::f32, {c.b, c.t, c.heads})};
}

// A random case for the merge tests, with grouped heads and windows on request; the last
// sequence's first query sees only masked slots, and every slot no query reads holds NaN.
inline ut::AttentionCase random_partial_case(std::mt19937& rng, ut::AttentionMode mode,
                                             int64_t max_slots, bool grouped) {
  ut::AttentionCase c = ut::random_attention_case(rng, mode,
                                                  {.max_head_dim = 24,
                                                   .max_slots = max_slots,
                                                   .min_prefill_queries = 1,
                                                   .min_decode_slot = 0,
                                                   .max_scale_tenths = 30,
                                                   .keep = 0.7,
                                                   .grouped = grouped,
                                                   .windowed = grouped});
  for (int64_t s = 0; s <= c.first; ++s) c.valid[size_t((c.b - 1) * c.s + s)] = 0;
  ut::poison_unseen_slots(c);
  return c;
}

// A merged result against full attention: out within tol (exact zeros where nothing is
// visible), max and sum within 1e-4 relative (-inf and 0 where nothing is visible).
inline void check_merged(const std::vector<float>& out, const std::vector<float>& max,
                         const std::vector<float>& sum, const ut::AttentionRef& ref, double tol) {
  CHECK(ut::normalized_error(out, ref.out) < tol);
  for (size_t i = 0; i < out.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(out[i]));
    if (ref.out[i] == 0.0) REQUIRE(out[i] == 0.0f);  // fully masked queries: exact zeros
  }
  for (size_t i = 0; i < ref.max.size(); ++i) {
    CAPTURE(i, ref.max[i], ref.sum[i], max[i], sum[i]);
    if (ref.sum[i] == 0.0) {
      REQUIRE(sum[i] == 0.0f);
      REQUIRE(max[i] == -INFINITY);
    } else {
      REQUIRE(std::fabs(max[i] - ref.max[i]) <= 1e-4 * (1.0 + std::fabs(ref.max[i])));
      REQUIRE(std::fabs(sum[i] - ref.sum[i]) <= 1e-4 * ref.sum[i]);
    }
  }
}

}  // namespace strata::ops_test
