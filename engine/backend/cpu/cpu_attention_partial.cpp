// CPU attention over a dense (f32, f16, bf16) KV cache or one part of it (attention_partial.h):
// the CPU backend's attention (the whole cache, offset 0) and the host partial attention (the
// part's slots, also returning each head's max score and sum of exponentials so that another
// part can be merged in, attention_merge.h) are this one loop, so they agree bit for bit.
#include <algorithm>
#include <vector>

#include "engine/backend/attention_partial.h"
#include "engine/backend/cpu/cpu_attention_head.h"
#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void dense_attention_cpu(const AttentionArgs& a, int64_t slot_offset, float* max, float* sum) {
  const int64_t batch = a.q.dim(0), t_new = a.q.dim(1), e = a.q.dim(2);
  const int64_t s_part = a.k_cache.dim(1), heads = a.num_heads, d = e / heads;
  const int64_t group = heads / a.kv_heads(), kv_e = a.kv_heads() * d;
  std::vector<float> scores(static_cast<size_t>(s_part)), widened(static_cast<size_t>(d));
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
        const int64_t end = std::clamp<int64_t>(last + 1 - slot_offset, 0, s_part);
        const int64_t begin =
            std::clamp<int64_t>(first_visible_slot(last, a.window) - slot_offset, 0, end);
        for (int64_t h = 0; h < heads; ++h) {
          const int64_t row = (b * t_new + t) * heads + h;
          const int64_t kv = (h / group) * d;  // the KV head's columns
          const HeadSoftmax r =
              attend_one_head<E>(a.q.data<float>() + (b * t_new + t) * e + h * d, keys + kv,
                                 values + kv, valid, begin, end, kv_e, d, a.scale,
                                 scores.data(), widened.data(),
                                 a.out.data<float>() + (b * t_new + t) * e + h * d);
          if (max != nullptr) max[row] = r.max_score;
          if (sum != nullptr) sum[row] = r.total;
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
