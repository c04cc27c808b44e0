// The block path of CPU attention (cpu_attention_head.h), for kBlockQueries new positions or more:
// a block of n queries of one sequence reads the part slots [lo, hi) that its first query's
// window starts at and its last query ends at. Those K rows ([w, d], w = hi - lo) and V rows
// (transposed, [d, w]) are made fp32 once for the group's heads, invalid rows zero (they may hold
// garbage; their weights are zero). Per head:
//   S = Q · Kᵀ                       [n, w]   sgemm_nt (oneDNN, one thread: tasks run in parallel)
//   P = softmax(scale · S) per row, over the row's visible valid slots (others 0)
//   out = P · V                      [n, d]   sgemm_nt into out's rows (row stride heads * d)
// Masked entries are computed and dropped: a query's output only sums visible slots' rows, with
// zero weights for the rest (exactly zero contributions), so causality holds bit for bit.
#include <cstring>
#include <limits>
#include <vector>

#include "engine/backend/cpu/cpu_attention_head.h"
#include "quant/sgemm_cpu.h"

namespace strata {
namespace {

// Scores of a block: n x seen floats at most 256 Ki (1 MiB, L2-sized), and 16 to 128 queries.
constexpr int64_t kBlockScoreFloats = int64_t(1) << 18;
constexpr int64_t kMaxBlockQueries = 128;

struct BlockScratch {
  std::vector<float> k;   // [w, d] fp32 K rows of the block
  std::vector<float> vt;  // [d, w] fp32 V rows of the block, transposed
  std::vector<float> q;   // [n, d] one head's queries of the block
  std::vector<float> s;   // [n, w] scores, then weights
  std::vector<float> row_k, row_v;
};

}  // namespace

int64_t block_queries(const AttentionGeometry& geo) {
  return std::clamp<int64_t>(kBlockScoreFloats / std::max<int64_t>(geo.seen, 1), kBlockQueries,
                             kMaxBlockQueries);
}

void attend_kv_head_block(const KvHeadTask& task, int64_t t0, int64_t n) {
  thread_local BlockScratch sc;  // per pool thread: tasks on one thread run one at a time
  const AttentionArgs& a = *task.args;
  const AttentionGeometry& geo = *task.geo;
  const int64_t d = geo.d, offset = task.part->slot_offset;
  const uint8_t* valid = a.key_valid + task.b * geo.s_part;
  const int64_t lo = visible_slots(a, geo, offset, t0).begin;
  const int64_t hi = std::max(lo, visible_slots(a, geo, offset, t0 + n - 1).end);
  const int64_t w = hi - lo;
  sc.k.assign(size_t(w * d), 0.0f);
  sc.vt.assign(size_t(d * w), 0.0f);
  sc.row_v.resize(size_t(d));
  for (int64_t s = lo; s < hi; ++s) {
    if (!valid[s]) continue;
    task.reader->load(task.b, task.g, s, sc.k.data() + (s - lo) * d, sc.row_v.data());
    for (int64_t i = 0; i < d; ++i) sc.vt[size_t(i * w + s - lo)] = sc.row_v[size_t(i)];
  }
  sc.q.resize(size_t(n * d));
  sc.s.resize(size_t(n * w));
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t h = task.g * geo.group; h < (task.g + 1) * geo.group; ++h) {
    const int64_t at0 = (task.b * geo.t_new + t0) * geo.heads + h;  // [B, T, heads]
    float* out = a.out.data<float>() + at0 * d;                     // row stride e = heads * d
    for (int64_t t = 0; t < n; ++t)
      std::memcpy(sc.q.data() + t * d, a.q.data<float>() + (at0 + t * geo.heads) * d,
                  size_t(d) * sizeof(float));
    quant::sgemm_nt(sc.q.data(), sc.k.data(), sc.s.data(), {n, w, d, w}, 1);
    for (int64_t t = 0; t < n; ++t) {
      const VisibleSlots vis = visible_slots(a, geo, offset, t0 + t);
      float* p = sc.s.data() + t * w;
      // Slots outside [vis.begin, vis.end) get weight 0; inside, invalid ones -inf, so exp 0.
      float* visible = p + (vis.begin - lo);
      const int64_t n_visible = vis.end - vis.begin;
      const float max =
          quant::attention_scale_max(visible, valid + vis.begin, n_visible, a.scale, task.isa);
      float total = 0.0f;
      if (max == neg_inf) {  // a padding query: zero weights, so its output is zero
        std::fill(p, p + w, 0.0f);
      } else {
        std::fill(p, visible, 0.0f);
        total = quant::attention_exp_sum(visible, n_visible, max, task.isa);
        std::fill(visible + n_visible, p + w, 0.0f);
        const float inv_total = 1.0f / total;
        for (int64_t i = 0; i < n_visible; ++i) visible[i] *= inv_total;
      }
      const int64_t at = at0 + t * geo.heads;
      if (task.part->max != nullptr) task.part->max[at] = max;
      if (task.part->sum != nullptr) task.part->sum[at] = total;
    }
    quant::sgemm_nt(sc.s.data(), sc.vt.data(), out, {n, d, w, geo.e}, 1);
  }
}

}  // namespace strata
