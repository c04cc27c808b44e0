// CPU attention over a compressed KV cache: k_cache and v_cache are packed q4/q8
// [B, S_max, kv_heads, head_dim], groups along head_dim (engine/models/kv_format.h); query head h
// reads KV head h / (heads / kv_heads), and a window limits the oldest slot (backend.h). The
// tasks and kernels are the dense cache's (cpu_attention_head.h); only the rows differ: they are
// not read in place but dequantized (quant's dequantizer, bit-identical to its scalar reference)
// one (slot, KV head) row at a time into the task's fp32 scratch, each row once per task. So the
// result is the dense path's over the dequantized cache, bit for bit, and no fp32 copy of the
// whole cache exists.
#include "engine/backend/cpu/cpu_attention_head.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/quantize_matrix.h"
#include "quant/dequantize_cpu.h"

namespace strata {
namespace {

class PackedRows final : public KvRowReader {
 public:
  PackedRows(const AttentionArgs& a, quant::CpuIsa isa)
      : k_(a.k_cache), v_(a.v_cache), format_(quant_format_of(a.k_cache.format())), isa_(isa) {
    d_ = a.q.dim(2) / a.num_heads;
    row_bytes_ = format_row_bytes(a.k_cache.format(), d_);
    slot_bytes_ = size_t(a.kv_heads()) * row_bytes_;
  }
  quant::AttentionRows keys(int64_t, int64_t) const override { return {}; }
  quant::AttentionRows values(int64_t, int64_t) const override { return {}; }
  void load(int64_t b, int64_t g, int64_t s, float* k, float* v) const override {
    dequantize(k_, b, g, s, k);
    dequantize(v_, b, g, s, v);
  }

 private:
  void dequantize(const Tensor& cache, int64_t b, int64_t g, int64_t s, float* out) const {
    const size_t at = size_t(b * cache.dim(1) + s) * slot_bytes_ + size_t(g) * row_bytes_;
    const quant::QuantMatrix row{format_, cache.data<uint8_t>() + at, 1, d_};
    quant::dequantize_cpu(row, 0, 1, out, isa_);
  }

  const Tensor& k_;
  const Tensor& v_;
  quant::QuantFormat format_;
  quant::CpuIsa isa_;
  int64_t d_;
  size_t row_bytes_, slot_bytes_;
};

}  // namespace

void CpuBackend::packed_attention(const AttentionArgs& a, const quant::CpuCompute& cpu) {
  const PackedRows reader(a, cpu.isa);
  attend_kv_heads(a, AttentionPart{}, reader, cpu);
}

}  // namespace strata
