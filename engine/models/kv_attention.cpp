#include "engine/models/kv_attention.h"

#include "engine/models/model_forward.h"

namespace strata {

void InMemoryKvAttention::attend(Backend& be, const AttentionStep& s) {
  const StepInput& in = *s.in;
  const int64_t e = s.q.dim(1), kv = s.k.dim(1), t = in.new_tokens;
  // Append this step's keys and values: T contiguous rows per sequence, in the cache's format
  // (a compressed cache quantizes them here, once).
  const KvFormat& f = cache_.format();
  for (int64_t b = 0; b < in.batch; ++b) {
    store_kv_rows(f, s.k.data<float>() + b * t * kv, t, cache_.slot(s.layer, 0, b, in.first_slot));
    store_kv_rows(f, s.v.data<float>() + b * t * kv, t, cache_.slot(s.layer, 1, b, in.first_slot));
  }
  AttentionArgs args;
  args.q = s.q.reshaped({in.batch, t, e});
  args.k_cache = cache_.keys(s.layer);
  args.v_cache = cache_.values(s.layer);
  args.key_valid = in.key_valid;
  args.first_query_slot = in.first_slot;
  args.num_heads = s.num_heads;
  args.num_kv_heads = s.num_kv_heads;
  args.window = s.window;
  args.scale = s.scale;
  args.out = s.out.reshaped({in.batch, t, e});
  be.attention(args);
}

}  // namespace strata
