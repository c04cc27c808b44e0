// CPU attention over a dense (f32, f16, bf16) KV cache or one part of it (attention_partial.h):
// the CPU backend's attention (the whole cache, offset 0) and the host partial attention (the
// part's slots, also returning each head's max score and sum of exponentials so that another
// part can be merged in, attention_merge.h) are this one loop, so they agree bit for bit.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "engine/backend/attention_partial.h"
#include "engine/backend/cpu/cpu_attention_head.h"
#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void dense_attention_cpu(const AttentionArgs& a, int64_t slot_offset, float* max, float* sum) {
  const int64_t batch = a.q.dim(0), t_new = a.q.dim(1), e = a.q.dim(2);
  const int64_t s_part = a.k_cache.dim(1), heads = a.num_heads, d = e / heads;
  const int64_t kv_heads = a.kv_heads(), group = heads / kv_heads, kv_e = kv_heads * d;
  // Part slots [0, seen) are all any query of the call may read.
  const int64_t seen = std::clamp<int64_t>(a.first_query_slot + t_new - slot_offset, 0, s_part);
  std::vector<float> scores(static_cast<size_t>(s_part)), row(static_cast<size_t>(d));
  std::vector<float> block_k, block_v;
  with_kv_elements(a.k_cache.dtype(), [&](auto elements) {
    using E = decltype(elements);
    using Raw = typename E::Raw;
    // Several queries (a prefill or chunk) or grouped heads read each half row more than once:
    // then a (sequence, KV head)'s rows [0, seen) are widened once, into [seen, d] scratch, and
    // attended as fp32. Otherwise (decode) each row is widened as it is read.
    const bool widen_block = !std::is_same_v<E, F32Elements> && t_new * group > 1;
    if (widen_block) {
      block_k.resize(size_t(seen * d));
      block_v.resize(size_t(seen * d));
    }
    for (int64_t b = 0; b < batch; ++b) {
      const uint8_t* valid = a.key_valid + b * s_part;
      for (int64_t g = 0; g < kv_heads; ++g) {
        const Raw* keys = a.k_cache.data<Raw>() + b * s_part * kv_e + g * d;
        const Raw* values = a.v_cache.data<Raw>() + b * s_part * kv_e + g * d;
        if (widen_block) {
          for (int64_t s = 0; s < seen; ++s) {
            if (!valid[s]) continue;  // never read: may hold garbage
            widened_row<E>(keys + s * kv_e, d, block_k.data() + s * d);
            widened_row<E>(values + s * kv_e, d, block_v.data() + s * d);
          }
        }
        for (int64_t t = 0; t < t_new; ++t) {
          // Global slots [first_visible, first + t] are part slots [begin, end).
          const int64_t last = a.first_query_slot + t;
          const int64_t end = std::clamp<int64_t>(last + 1 - slot_offset, 0, s_part);
          const int64_t begin =
              std::clamp<int64_t>(first_visible_slot(last, a.window) - slot_offset, 0, end);
          for (int64_t h = g * group; h < (g + 1) * group; ++h) {
            const int64_t at = (b * t_new + t) * heads + h;  // [B, T, heads]
            const float* q = a.q.data<float>() + at * d;
            float* out = a.out.data<float>() + at * d;
            const HeadSoftmax r =
                widen_block ? attend_one_head<F32Elements>(q, block_k.data(), block_v.data(),
                                                           valid, begin, end, d, d, a.scale,
                                                           scores.data(), row.data(), out)
                            : attend_one_head<E>(q, keys, values, valid, begin, end, kv_e, d,
                                                 a.scale, scores.data(), row.data(), out);
            if (max != nullptr) max[at] = r.max_score;
            if (sum != nullptr) sum[at] = r.total;
          }
        }
      }
    }
  });
}

void attention_partial_cpu(const AttentionPartialArgs& p) {
  check_attention_partial(p);
  dense_attention_cpu(p.attention, p.slot_offset, p.max.data<float>(), p.sum.data<float>());
}

}  // namespace strata
