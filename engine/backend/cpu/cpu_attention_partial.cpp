// Host partial attention over one part of a KV cache (attention_partial.h): the CPU backend's
// attention arithmetic, restricted to the part's slots, also returning each head's max score and
// sum of exponentials so that another part can be merged in (attention_merge.h).
#include <algorithm>
#include <vector>

#include "engine/backend/attention_partial.h"
#include "engine/backend/cpu/cpu_attention_head.h"

namespace strata {

void attention_partial_cpu(const AttentionPartialArgs& p) {
  check_attention_partial(p);
  const AttentionArgs& a = p.attention;
  const int64_t batch = a.q.dim(0), t_new = a.q.dim(1), e = a.q.dim(2);
  const int64_t s_part = a.k_cache.dim(1), heads = a.num_heads, d = e / heads;
  const int64_t group = heads / a.kv_heads(), kv_e = a.kv_heads() * d;
  std::vector<float> scores(static_cast<size_t>(s_part));
  with_kv_elements(a.k_cache.dtype(), [&](auto elements) {
    using E = decltype(elements);
    using Raw = typename E::Raw;
    for (int64_t b = 0; b < batch; ++b) {
      const uint8_t* valid = a.key_valid + b * s_part;
      const Raw* keys = a.k_cache.data<Raw>() + b * s_part * kv_e;
      const Raw* values = a.v_cache.data<Raw>() + b * s_part * kv_e;
      for (int64_t t = 0; t < t_new; ++t) {
        // Global slots [first_visible, first + t] are part slots [begin, end).
        const int64_t last = a.first_query_slot + t;
        const int64_t end = std::clamp<int64_t>(last + 1 - p.slot_offset, 0, s_part);
        const int64_t begin = std::clamp<int64_t>(
            first_visible_slot(last, a.window) - p.slot_offset, 0, end);
        for (int64_t h = 0; h < heads; ++h) {
          const int64_t row = (b * t_new + t) * heads + h;
          const int64_t kv = (h / group) * d;
          const HeadSoftmax r =
              attend_one_head<E>(a.q.data<float>() + (b * t_new + t) * e + h * d, keys + kv,
                                 values + kv, valid, begin, end, kv_e, d, a.scale,
                                 scores.data(), a.out.data<float>() + (b * t_new + t) * e + h * d);
          p.max.data<float>()[row] = r.max_score;
          p.sum.data<float>()[row] = r.total;
        }
      }
    }
  });
}

}  // namespace strata
