// CPU attention split into tasks that each read one KV head g of one sequence b: the query heads
// h in [g * group, (g + 1) * group) of that sequence (group = heads / kv_heads) and some or all
// of its new positions. Tasks share no output and no scratch, so they run on the backend's
// compute pool in any order and the result never depends on the thread count.
//
// Two ways to attend, chosen by the number of new positions T alone (so that a call and the same
// call as one part covering the whole cache take the same path, attention_partial.h):
//   - T < kBlockQueries (decode, short chunks), cpu_attention_decode.cpp: per query and head,
//     scores over the list of visible slots with quant's row kernels (quant/attention_rows.h:
//     vectorized dot products and weighted sums, f16/bf16 rows widened in registers, read in
//     place: no copy of the cache is made);
//   - otherwise (prefill), cpu_attention_block.cpp: blocks of queries as two GEMMs per head
//     (scores = Q · Kᵀ, out = P · V, quant/sgemm_cpu.h) over the block's K and V rows made
//     fp32 once per task.
// Both read K and V through a KvRowReader: a dense cache in place, a packed one dequantized a
// row at a time. A row read in place and the same row loaded as fp32 give the same result bit
// for bit (the kernels' arithmetic depends only on the values), so a half cache gives what the
// f32 path gives over its widened copy, and a q4/q8 cache what it gives over its dequantized one.
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/backend/backend.h"
#include "quant/attention_rows.h"
#include "quant/cpu_isa.h"

namespace strata {

// From this many new positions on, a call attends in blocks of queries through GEMMs.
inline constexpr int64_t kBlockQueries = 16;

// The part of the cache a call reads: its slot 0 is global slot slot_offset (0: the whole
// cache), and max / sum ([B, T, heads], null: not wanted) receive each head's max score and sum
// of exponentials (-inf and 0 where no slot is visible).
struct AttentionPart {
  int64_t slot_offset = 0;
  float* max = nullptr;
  float* sum = nullptr;
};

// Where the K and V rows of one (sequence, KV head) come from.
class KvRowReader {
 public:
  virtual ~KvRowReader() = default;
  // Rows of (b, g) to read in place (part slot s is row s), or rows with null data when the
  // cache cannot be read in place (rows must then be loaded).
  virtual quant::AttentionRows keys(int64_t b, int64_t g) const = 0;
  virtual quant::AttentionRows values(int64_t b, int64_t g) const = 0;
  // Part slot s of (b, g) as fp32: head_dim floats of K into k, of V into v (exact widening or
  // the quantized format's dequantization).
  virtual void load(int64_t b, int64_t g, int64_t s, float* k, float* v) const = 0;
};

// The shapes every task of a call shares.
struct AttentionGeometry {
  int64_t batch, t_new, heads, kv_heads, group, d, e, s_part;
  int64_t seen;  // part slots [0, seen) are all that any query of the call may read
};

struct KvHeadTask {
  const AttentionArgs* args;
  const AttentionGeometry* geo;
  const AttentionPart* part;
  const KvRowReader* reader;
  quant::CpuIsa isa;
  int64_t b, g;
};

// Part slots [begin, end) that new position t sees (causal, window), clamped to the part.
struct VisibleSlots {
  int64_t begin, end;
};
inline VisibleSlots visible_slots(const AttentionArgs& a, const AttentionGeometry& geo,
                                  int64_t slot_offset, int64_t t) {
  const int64_t last = a.first_query_slot + t;
  const int64_t end = std::clamp<int64_t>(last + 1 - slot_offset, 0, geo.s_part);
  const int64_t first_visible = a.window > 0 ? std::max<int64_t>(0, last - a.window + 1) : 0;
  return {std::clamp<int64_t>(first_visible - slot_offset, 0, end), end};
}

// Every new position of the task's sequence, per query head of its group (T < kBlockQueries).
void attend_kv_head_rows(const KvHeadTask& task);
// New positions [t0, t0 + n) of the task's sequence, per query head of its group, by GEMMs.
void attend_kv_head_block(const KvHeadTask& task, int64_t t0, int64_t n);
// Queries per block of attend_kv_head_block: the scores of a block, n x seen floats, stay small.
int64_t block_queries(const AttentionGeometry& geo);

// The whole call: every task on cpu (its pool and threads; threads 1: the calling thread).
void attend_kv_heads(const AttentionArgs& a, const AttentionPart& part, const KvRowReader& reader,
                     const quant::CpuCompute& cpu);

// Attention over a dense (f32, f16, bf16) cache or part, read in place (cpu_attention_partial.cpp).
void dense_attention_cpu(const AttentionArgs& a, const AttentionPart& part,
                         const quant::CpuCompute& cpu);

}  // namespace strata
