#include "engine/executor/block_plan.h"

#include <algorithm>
#include <cmath>

#include "engine/executor/executor_options.h"

namespace strata {

BlockShape worst_block(const Policy& policy, int64_t prompt_len, int64_t gen_len) {
  BlockShape s;
  s.batches.assign(size_t(policy.num_gpu_batches), policy.gpu_batch_size);
  s.prompt_lens.assign(size_t(policy.num_gpu_batches), prompt_len);
  s.slots_needed = std::max<int64_t>(1, prompt_len + gen_len - 1);
  return s;
}

BlockPlan plan_block(const ModelSpec& model, const Policy& policy, const BlockShape& shape) {
  const ModelConfig& c = model.config;
  const KvFormat kv = kv_format(cache_dtype_of(policy), c.num_kv_heads, c.head_dim);
  BlockPlan p{KvLayout(c.num_layers, kv, shape.slots_needed, shape.batches, policy.cache),
              {}, {}, 0, 0, 0, 0, 0, 0};
  const int64_t k_count = int64_t(shape.batches.size());
  const int64_t on_device = std::llround(double(k_count) * policy.activations.device);
  const size_t f32 = sizeof(float);
  for (int64_t k = 0; k < k_count; ++k) {
    const int64_t n = shape.batches[size_t(k)], rows = n * shape.prompt_lens[size_t(k)];
    const size_t bytes = size_t(rows * c.hidden_size) * f32;
    p.hidden_home.push_back(k < on_device ? Place::device : Place::host);
    p.hidden_bytes.push_back(bytes);
    if (k >= on_device) p.hidden_work_bytes = std::max(p.hidden_work_bytes, bytes);
    p.logits_bytes = std::max(p.logits_bytes, size_t(n * c.vocab_size) * f32);
    p.max_step_rows = std::max(p.max_step_rows, rows);
    p.max_batch = std::max(p.max_batch, n);
  }
  p.scratch_bytes = (Workspace::block_floats(p.max_step_rows, model.forward->workspace_cols()) +
                     size_t(p.max_batch * c.hidden_size)) * f32;
  // Host attention runs only when decoding: q, k, v and out of one new token of one sequence.
  p.host_scratch_bytes = 2 * size_t(c.q_width() + c.kv_width()) * f32;
  return p;
}

TierBytes planned_bytes(const WeightLayout& w, const BlockPlan& b) {
  TierBytes t;
  const size_t slots = BlockPlan::kSlots;
  t.add(Place::device, MemoryUse::weights, w.device_home_bytes);
  t.add(Place::host, MemoryUse::weights, w.host_home_bytes);
  t.add(Place::disk, MemoryUse::weights, w.disk_bytes);
  t.add(Place::device, MemoryUse::buffers, 2 * w.work_bytes);
  t.add(Place::host, MemoryUse::buffers, 2 * w.staging_bytes);
  for (Place p : {Place::device, Place::host, Place::disk}) {
    t.add(p, MemoryUse::cache, b.kv.tier_bytes(p));
  }
  t.add(Place::device, MemoryUse::buffers, slots * b.kv.work_bytes());
  t.add(Place::host, MemoryUse::buffers, slots * b.kv.staging_bytes());
  for (size_t k = 0; k < b.hidden_home.size(); ++k) {
    t.add(b.hidden_home[k], MemoryUse::activations, b.hidden_bytes[k]);
  }
  t.add(Place::device, MemoryUse::buffers,
        slots * b.hidden_work_bytes + b.logits_bytes + b.scratch_bytes);
  t.add(Place::host, MemoryUse::buffers, b.host_scratch_bytes);
  return t;
}

}  // namespace strata
