// CPU attention over a KV cache: for each sequence b, query head h (reading KV head
// g = h / (heads / kv_heads)) and new position t at slot p = first_query_slot + t,
//   out[b, t, h] = softmax_s(scale · q[b, t, h] · k[b, s, g]) · v[b, s, g]
// over slots s with key_valid[b, s], s <= p (causal) and, with a window, s > p - window.
// The work is split into (sequence, KV head[, block of queries]) tasks run on the backend's compute
// pool (cpu_attention_head.h); a dense cache (f32, f16, bf16) is read in place
// (cpu_attention_partial.cpp), a compressed one dequantized a row at a time
// (cpu_attention_packed.cpp), through the same kernels, so both give the same result over the
// same (dequantized) values.
#include <exception>
#include <mutex>

#include "engine/backend/cpu/cpu_attention_head.h"
#include "engine/backend/cpu/cpu_backend.h"

namespace strata {

void attend_kv_heads(const AttentionArgs& a, const AttentionPart& part, const KvRowReader& reader,
                     const quant::CpuCompute& cpu) {
  AttentionGeometry geo{};
  geo.batch = a.q.dim(0), geo.t_new = a.q.dim(1), geo.e = a.q.dim(2);
  geo.heads = a.num_heads, geo.d = geo.e / geo.heads;
  geo.kv_heads = a.kv_heads(), geo.group = geo.heads / geo.kv_heads;
  geo.s_part = a.k_cache.dim(1);
  geo.seen = std::clamp<int64_t>(a.first_query_slot + geo.t_new - part.slot_offset, 0, geo.s_part);
  if (geo.batch == 0 || geo.t_new == 0) return;
  const bool blocks = geo.t_new >= kBlockQueries;
  const int64_t per_block = blocks ? block_queries(geo) : geo.t_new;
  const int64_t blocks_per_head = (geo.t_new + per_block - 1) / per_block;
  const int64_t tasks = geo.batch * geo.kv_heads * blocks_per_head;
  // Below ~256 KFLOP waking the pool costs more than the second thread saves.
  const double flops = 4.0 * double(geo.batch * geo.heads * geo.t_new) * double(geo.seen * geo.d);
  const int team = flops < double(1 << 18) ? 1 : cpu.threads;
  std::mutex failed_mutex;
  std::exception_ptr failed;  // the pool's tasks must not throw: the first error is rethrown
  cpu.run(team, tasks, [&](int64_t i) {
    const int64_t block = i % blocks_per_head, bg = i / blocks_per_head;
    const KvHeadTask task{&a, &geo, &part, &reader, cpu.isa, bg / geo.kv_heads, bg % geo.kv_heads};
    try {
      if (blocks) {
        const int64_t t0 = block * per_block;
        attend_kv_head_block(task, t0, std::min(per_block, geo.t_new - t0));
      } else {
        attend_kv_head_rows(task);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(failed_mutex);
      if (!failed) failed = std::current_exception();
    }
  });
  if (failed) std::rethrow_exception(failed);
}

void CpuBackend::do_attention(const AttentionArgs& a) {
  const quant::CpuCompute cpu{isa_, threads_, pool_.get()};
  if (is_quantized(a.k_cache.dtype())) return packed_attention(a, cpu);
  dense_attention_cpu(a, AttentionPart{}, cpu);  // the whole cache: part offset 0
}

}  // namespace strata
