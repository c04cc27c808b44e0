// KvAttention: the part of a decoder layer that touches the KV cache. A layer hands it the
// step's projected queries, keys and values; it appends the keys and values wherever the cache
// lives and computes attention of the queries over every cached slot. The all-in-memory KvCache
// is one implementation (below); the offloading executor's tiered cache is another
// (engine/executor/tiered_attention.h), so the same layer code runs on both.
#pragma once

#include <cstdint>

#include "engine/backend/backend.h"
#include "engine/models/kv_cache.h"

namespace strata {

struct StepInput;

// One layer's attention work for one step, f32 on the device: q and out [B*T, heads*head_dim],
// k and v [B*T, kv_heads*head_dim].
struct AttentionStep {
  const StepInput* in = nullptr;
  int64_t layer = 0;
  Tensor q, k, v;
  Tensor out;
  int64_t num_heads = 1;
  int64_t num_kv_heads = 0;  // 0: num_heads (no grouped-query attention)
  int64_t window = 0;        // sliding window in slots; 0: every earlier slot
  float scale = 1.0f;
};

class KvAttention {
 public:
  virtual ~KvAttention() = default;
  virtual void attend(Backend& be, const AttentionStep& step) = 0;
};

// The all-in-memory cache: appends T rows per sequence into KvCache, then one attention call.
class InMemoryKvAttention final : public KvAttention {
 public:
  explicit InMemoryKvAttention(KvCache& cache) : cache_(cache) {}
  void attend(Backend& be, const AttentionStep& step) override;

 private:
  KvCache& cache_;
};

}  // namespace strata
