// Shape checks of partial attention and the host merge of two partial results.
#include "engine/backend/attention_partial.h"

#include "common/error.h"
#include "engine/backend/attention_merge.h"

namespace strata {
namespace {

void check_state(const Tensor& t, int64_t b, int64_t q, int64_t heads, const char* what) {
  STRATA_CHECK(t.rank() == 3 && t.dtype() == DType::f32 && t.dim(0) == b && t.dim(1) == q &&
                   t.dim(2) == heads,
               what, " must be [", b, ", ", q, ", ", heads, "] f32, got ", t.shape_string());
}

}  // namespace

void check_attention_heads(const AttentionArgs& a) {
  const int64_t e = a.q.dim(2);
  STRATA_CHECK(a.num_heads > 0 && e % a.num_heads == 0, "attention width ", e,
               " not divisible by ", a.num_heads, " heads");
  STRATA_CHECK(a.num_kv_heads >= 0 && a.num_heads % a.kv_heads() == 0, "attention: ",
               a.num_kv_heads, " KV heads do not divide ", a.num_heads, " query heads");
  STRATA_CHECK(a.window >= 0, "attention window ", a.window, " is negative");
}

void check_attention_partial(const AttentionPartialArgs& p) {
  const AttentionArgs& a = p.attention;
  STRATA_CHECK(a.q.rank() == 3 && a.k_cache.rank() == 3 && a.v_cache.rank() == 3 &&
                   a.out.rank() == 3,
               "partial attention tensors must be [batch, positions, width]");
  check_attention_heads(a);
  const int64_t b = a.q.dim(0), t = a.q.dim(1), e = a.q.dim(2), s = a.k_cache.dim(1);
  const int64_t kv_e = a.kv_heads() * (e / a.num_heads);
  STRATA_CHECK(a.k_cache.dim(0) == b && a.v_cache.dim(0) == b && a.k_cache.dim(2) == kv_e &&
                   a.v_cache.dim(1) == s && a.v_cache.dim(2) == kv_e && a.out.dim(0) == b &&
                   a.out.dim(1) == t && a.out.dim(2) == e,
               "partial attention shapes: q ", a.q.shape_string(), ", k ",
               a.k_cache.shape_string(), ", v ", a.v_cache.shape_string(), ", out ",
               a.out.shape_string(), ", ", a.num_heads, " heads, ", a.kv_heads(), " KV heads");
  for (const Tensor* x : {&a.q, &a.out}) {
    STRATA_CHECK(x->dtype() == DType::f32, "partial attention takes f32 q and out, got ",
                 x->shape_string());
  }
  STRATA_CHECK(is_kv_dense_dtype(a.k_cache.dtype()) && a.v_cache.dtype() == a.k_cache.dtype(),
               "partial attention takes a dense f32, f16 or bf16 cache, K and V alike, got ",
               a.k_cache.shape_string(), " and ", a.v_cache.shape_string());
  STRATA_CHECK(a.first_query_slot >= 0 && p.slot_offset >= 0, "first query slot ",
               a.first_query_slot, ", part offset ", p.slot_offset);
  STRATA_CHECK(s == 0 || a.key_valid != nullptr, "partial attention without key_valid");
  check_state(p.max, b, t, a.num_heads, "partial attention max");
  check_state(p.sum, b, t, a.num_heads, "partial attention sum");
}

void check_attention_merge(const AttentionPartial& into, const AttentionPartial& other,
                           int64_t num_heads) {
  STRATA_CHECK(into.out.rank() == 3 && other.out.rank() == 3 &&
                   into.out.dtype() == DType::f32 && other.out.dtype() == DType::f32,
               "merged attention outputs must be [batch, positions, hidden] f32");
  const int64_t b = into.out.dim(0), t = into.out.dim(1), e = into.out.dim(2);
  STRATA_CHECK(other.out.dim(0) == b && other.out.dim(1) == t && other.out.dim(2) == e,
               "merge of ", into.out.shape_string(), " with ", other.out.shape_string());
  STRATA_CHECK(num_heads > 0 && e % num_heads == 0, "hidden ", e, " not divisible by ",
               num_heads, " heads");
  STRATA_CHECK(into.out.data() != other.out.data(), "merge of a partial result with itself");
  check_state(into.max, b, t, num_heads, "merge max");
  check_state(into.sum, b, t, num_heads, "merge sum");
  check_state(other.max, b, t, num_heads, "merge max");
  check_state(other.sum, b, t, num_heads, "merge sum");
}

void merge_attention_partials(const AttentionPartial& into, const AttentionPartial& other,
                              int64_t num_heads) {
  check_attention_merge(into, other, num_heads);
  const int64_t rows = into.out.dim(0) * into.out.dim(1);
  const int64_t d = into.out.dim(2) / num_heads;
  float* out_a = into.out.data<float>();
  float* max_a = into.max.data<float>();
  float* sum_a = into.sum.data<float>();
  const float* out_b = other.out.data<float>();
  const float* max_b = other.max.data<float>();
  const float* sum_b = other.sum.data<float>();
  for (int64_t i = 0; i < rows * num_heads; ++i) {
    merge_partial_head(out_a + i * d, max_a[i], sum_a[i], out_b + i * d, max_b[i], sum_b[i], d);
  }
}

}  // namespace strata
