// BlockPlan: every buffer one block of the executor needs, sized from the model, the policy and
// the block's shape — the single source of the sizes that the capacity check (before any work)
// reports and that the block executor allocates.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/executor/executor_options.h"
#include "engine/executor/kv_layout.h"
#include "engine/executor/tier_memory.h"
#include "engine/executor/weight_layout.h"
#include "engine/models/model_family.h"

namespace strata {

// The sequences of a block: per micro-batch its size and its padded prompt length, and the KV
// slots the longest sequence needs (prompt + generated tokens - 1).
struct BlockShape {
  std::vector<int64_t> batches;
  std::vector<int64_t> prompt_lens;
  int64_t slots_needed = 1;
};

// The worst block of a workload: num_gpu_batches full micro-batches of prompt_len-token prompts
// generating gen_len tokens each.
BlockShape worst_block(const Policy& policy, int64_t prompt_len, int64_t gen_len);

struct BlockPlan {
  static constexpr int kSlots = 3;  // load (j,k+1), compute (j,k), store (j,k-1)
  KvLayout kv;
  std::vector<Place> hidden_home;   // per micro-batch: device or host
  std::vector<size_t> hidden_bytes; // per micro-batch: [batch * prompt_len, hidden] f32
  size_t hidden_work_bytes = 0;     // one device slot for a host-homed hidden state
  size_t logits_bytes = 0;          // device logits of the largest micro-batch
  int64_t max_step_rows = 0;        // batch * new tokens of the largest step (a prefill)
  int64_t max_batch = 0;            // sequences of the largest micro-batch
  // Compute temporaries: the family's Workspace block for max_step_rows, then the last
  // positions [max_batch, hidden] that the head reads.
  size_t scratch_bytes = 0;
  size_t host_scratch_bytes = 0;    // q, k, v, out of one decoding sequence at host attention
};

BlockPlan plan_block(const ModelSpec& model, const Policy& policy, const BlockShape& shape);

// Bytes per tier of the weights (layout) and one block (plan), as the executor will place them.
TierBytes planned_bytes(const WeightLayout& weights, const BlockPlan& block);

}  // namespace strata
