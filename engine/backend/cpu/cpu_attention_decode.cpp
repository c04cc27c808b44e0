// The rows path of CPU attention (cpu_attention_head.h), for fewer than kBlockQueries new
// positions: per query and head, the scores of the visible slots (quant's row kernels: one
// vectorized dot product per slot, f16/bf16 rows widened in registers), their softmax, then the
// weighted sum of their V rows in slot order.
#include <limits>
#include <vector>

#include "engine/backend/cpu/cpu_attention_head.h"

namespace strata {
namespace {

struct RowsScratch {
  std::vector<int32_t> slots;  // the visible, valid slots of one query
  std::vector<float> scores;   // their scores, then their softmax weights
  std::vector<float> k, v;     // [seen, d]: rows loaded as fp32 when not readable in place
};

}  // namespace

void attend_kv_head_rows(const KvHeadTask& task) {
  thread_local RowsScratch sc;  // per pool thread: tasks on one thread run one at a time
  const AttentionArgs& a = *task.args;
  const AttentionGeometry& geo = *task.geo;
  const int64_t d = geo.d, seen = geo.seen, offset = task.part->slot_offset;
  const uint8_t* valid = a.key_valid + task.b * geo.s_part;
  quant::AttentionRows k = task.reader->keys(task.b, task.g);
  quant::AttentionRows v = task.reader->values(task.b, task.g);
  if (k.data == nullptr || v.data == nullptr) {
    // Loaded once for every query of the task: the first one sees the oldest slots.
    sc.k.resize(size_t(seen * d));
    sc.v.resize(size_t(seen * d));
    for (int64_t s = visible_slots(a, geo, offset, 0).begin; s < seen; ++s)
      if (valid[s]) task.reader->load(task.b, task.g, s, sc.k.data() + s * d, sc.v.data() + s * d);
    k = {sc.k.data(), quant::RowType::kF32, d, d};
    v = {sc.v.data(), quant::RowType::kF32, d, d};
  }
  sc.slots.resize(size_t(seen));
  sc.scores.resize(size_t(seen));
  for (int64_t t = 0; t < geo.t_new; ++t) {
    const VisibleSlots vis = visible_slots(a, geo, offset, t);
    int64_t count = 0;
    for (int64_t s = vis.begin; s < vis.end; ++s)
      if (valid[s]) sc.slots[size_t(count++)] = int32_t(s);
    for (int64_t h = task.g * geo.group; h < (task.g + 1) * geo.group; ++h) {
      const int64_t at = (task.b * geo.t_new + t) * geo.heads + h;  // [B, T, heads]
      const float* q = a.q.data<float>() + at * d;
      float* out = a.out.data<float>() + at * d;
      float max = -std::numeric_limits<float>::infinity(), total = 0.0f;
      float* p = sc.scores.data();
      if (count > 0) {
        quant::attention_scores(q, k, sc.slots.data(), count, a.scale, p, task.isa);
        max = quant::attention_scale_max(p, nullptr, count, 1.0f, task.isa);
      }
      // A padding query (or scores all -inf, as the block path): its output is zero.
      if (max == -std::numeric_limits<float>::infinity()) {
        std::fill(out, out + d, 0.0f);
      } else {
        total = quant::attention_exp_sum(p, count, max, task.isa);
        const float inv_total = 1.0f / total;
        for (int64_t i = 0; i < count; ++i) p[i] *= inv_total;
        quant::attention_weighted_sum(p, v, sc.slots.data(), count, out, task.isa);
      }
      if (task.part->max != nullptr) task.part->max[at] = max;
      if (task.part->sum != nullptr) task.part->sum[at] = total;
    }
  }
}

}  // namespace strata
