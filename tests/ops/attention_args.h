// The AttentionArgs (backend.h) of an AttentionCase (reference/attention_reference.h) over given
// tensor views: q and out [b, t, e] f32, k and v the cache's K and V [b, s, kv_e] (any dtype).
#pragma once

#include "engine/backend/backend.h"
#include "ops/reference/attention_reference.h"

namespace strata::ops_test {

inline AttentionArgs attention_args(const ut::AttentionCase& c, Tensor q, Tensor k_cache,
                                    Tensor v_cache, Tensor out) {
  AttentionArgs a;
  a.q = q;
  a.k_cache = k_cache;
  a.v_cache = v_cache;
  a.key_valid = c.valid.data();
  a.first_query_slot = c.first;
  a.num_heads = c.heads;
  a.num_kv_heads = c.kv_heads;
  a.window = c.window;
  a.scale = c.scale;
  a.out = out;
  return a;
}

}  // namespace strata::ops_test
