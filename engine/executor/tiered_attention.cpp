#include "engine/executor/tiered_attention.h"

#include "common/error.h"

namespace strata {

RowKv TieredAttention::locate(int64_t p, bool& on_host) const {
  const KvLayout& kv = kv_.layout();
  const size_t sf = kv.seq_bytes();
  const KvRows& dev = kv.rows(k_, Place::device);
  const KvRows& host = kv.rows(k_, Place::host);
  const KvRows& disk = kv.rows(k_, Place::disk);
  const Place place = kv.place_of(k_, p);
  on_host = at_home_ && place != Place::device;
  if (place == Place::device) {
    return row_kv(kv_.home(layer_, k_, Place::device), dev.count, p - dev.first, sf);
  }
  if (at_home_ && place == Place::host) {
    return row_kv(kv_.home(layer_, k_, Place::host), host.count, p - host.first, sf);
  }
  if (at_home_) return row_kv(buffers_.staging, disk.count, p - disk.first, sf);
  return row_kv(buffers_.work, host.count + disk.count, p - host.first, sf);
}

void TieredAttention::append(Backend& be, const float* x, int64_t tokens, char* dst,
                             bool dst_on_host, float* host_tmp) const {
  const KvFormat& f = kv_.layout().format();
  DeviceMemory& memory = be.memory();
  if (memory.host_addressable()) {
    store_kv_rows(f, x, tokens, dst);
    return;
  }
  const Tensor rows(const_cast<float*>(x), DType::f32, {tokens * f.heads, f.head_dim},
                    Place::device);
  if (!dst_on_host) {
    be.store_rows(rows, kv_rows_view(f, dst, tokens, Place::device));
    return;
  }
  memory.copy(CopyQueue::compute, host_tmp, x, size_t(tokens * f.hidden()) * sizeof(float));
  memory.finish(CopyQueue::compute);
  store_kv_rows(f, host_tmp, tokens, dst);
}

void TieredAttention::attend(Backend& be, const AttentionStep& s) {
  const StepInput& in = *s.in;
  const KvFormat& f = kv_.layout().format();
  // q and out are [B*T, heads * head_dim]; new keys and values [B*T, kv_heads * head_dim].
  const int64_t e = s.q.dim(1), kv_e = f.hidden(), slots = kv_.layout().slots(), t = in.new_tokens;
  const size_t step_bytes = size_t(t * e) * sizeof(float);
  const size_t first = size_t(in.first_slot) * f.slot_bytes();
  DeviceMemory& memory = be.memory();
  // Host attention happens only when decoding: the host scratch holds q, k, v and out of one
  // token (BlockPlan::host_scratch_bytes).
  STRATA_CHECK(!at_home_ || t == 1, "host attention over ", t, " new tokens");
  float* host_q = buffers_.host_scratch;
  float* host_k = host_q + e;
  float* host_v = host_k + kv_e;
  float* host_out = host_v + kv_e;
  for (int64_t a = 0; a < in.batch; ++a) {
    const int64_t p = rows_[a];
    bool on_host = false;
    const RowKv row = locate(p, on_host);
    // Append this step's T keys and values of sequence a at its slots (quantized when the
    // cache is compressed).
    append(be, s.k.data<float>() + a * t * kv_e, t, row.k + first, on_host, host_k);
    append(be, s.v.data<float>() + a * t * kv_e, t, row.v + first, on_host, host_v);
    const Place place = on_host ? Place::host : Place::device;
    AttentionArgs args;
    args.k_cache = kv_view(f, row.k, 1, slots, place);
    args.v_cache = kv_view(f, row.v, 1, slots, place);
    args.key_valid = in.key_valid + p * slots;
    args.first_query_slot = in.first_slot;
    args.num_heads = s.num_heads;
    args.num_kv_heads = s.num_kv_heads;
    args.window = s.window;
    args.scale = s.scale;
    float* q = s.q.data<float>() + a * t * e;
    float* out = s.out.data<float>() + a * t * e;
    if (!on_host) {
      args.q = Tensor(q, DType::f32, {1, t, e}, Place::device);
      args.out = Tensor(out, DType::f32, {1, t, e}, Place::device);
      be.attention(args);
      continue;
    }
    // Host attention: only q and the output cross the bus, never the cache. Finishing the
    // compute queue after q's copy also finishes the previous sequence's output copy, so
    // host_out is free to be written again.
    memory.copy(CopyQueue::compute, host_q, q, step_bytes);
    memory.finish(CopyQueue::compute);
    args.q = Tensor(host_q, DType::f32, {1, t, e}, Place::host);
    args.out = Tensor(host_out, DType::f32, {1, t, e}, Place::host);
    host_.attention(args);
    memory.copy(CopyQueue::compute, out, host_out, step_bytes);
  }
}

}  // namespace strata
