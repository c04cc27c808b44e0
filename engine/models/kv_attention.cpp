#include "engine/models/kv_attention.h"

#include <cstring>

#include "engine/models/opt/opt_model.h"

namespace strata {

void InMemoryKvAttention::attend(Backend& be, const AttentionStep& s) {
  const StepInput& in = *s.in;
  const int64_t e = s.q.dim(1), t = in.new_tokens;
  // Append this step's keys and values: T contiguous rows per sequence.
  Tensor keys = cache_.keys(s.layer), values = cache_.values(s.layer);
  const size_t step_bytes = size_t(t * e) * sizeof(float);
  for (int64_t b = 0; b < in.batch; ++b) {
    const int64_t dst = (b * cache_.slots() + in.first_slot) * e;
    std::memcpy(keys.data<float>() + dst, s.k.data<float>() + b * t * e, step_bytes);
    std::memcpy(values.data<float>() + dst, s.v.data<float>() + b * t * e, step_bytes);
  }
  AttentionArgs args;
  args.q = s.q.reshaped({in.batch, t, e});
  args.k_cache = keys;
  args.v_cache = values;
  args.key_valid = in.key_valid;
  args.first_query_slot = in.first_slot;
  args.num_heads = s.num_heads;
  args.scale = s.scale;
  args.out = s.out.reshaped({in.batch, t, e});
  be.attention(args);
}

}  // namespace strata
