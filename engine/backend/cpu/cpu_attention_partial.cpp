// CPU attention over a dense (f32, f16, bf16) KV cache or one part of it (attention_partial.h):
// the CPU backend's attention (the whole cache, offset 0) and the host partial attention (the
// part's slots, also returning each head's max score and sum of exponentials so that another
// part can be merged in, attention_merge.h) are this one function, so they agree bit for bit.
// The cache is read in place: row s of KV head g of sequence b is element
// (b * S_part + s) * kv_heads * d + g * d.
#include "engine/backend/attention_partial.h"
#include "engine/backend/cpu/cpu_attention_head.h"

namespace strata {
namespace {

quant::RowType row_type(DType t) {
  switch (t) {
    case DType::f16: return quant::RowType::kF16;
    case DType::bf16: return quant::RowType::kBf16;
    default: return quant::RowType::kF32;
  }
}

class DenseRows final : public KvRowReader {
 public:
  DenseRows(const AttentionArgs& a, quant::CpuIsa isa)
      : k_(a.k_cache), v_(a.v_cache), type_(row_type(a.k_cache.dtype())), isa_(isa) {
    d_ = a.q.dim(2) / a.num_heads;
    kv_e_ = a.kv_heads() * d_;
  }
  quant::AttentionRows keys(int64_t b, int64_t g) const override { return rows(k_, b, g); }
  quant::AttentionRows values(int64_t b, int64_t g) const override { return rows(v_, b, g); }
  void load(int64_t b, int64_t g, int64_t s, float* k, float* v) const override {
    quant::attention_row_f32(rows(k_, b, g), s, k, isa_);
    quant::attention_row_f32(rows(v_, b, g), s, v, isa_);
  }

 private:
  quant::AttentionRows rows(const Tensor& cache, int64_t b, int64_t g) const {
    const int64_t first = b * cache.dim(1) * kv_e_ + g * d_;  // elements
    const size_t elem = type_ == quant::RowType::kF32 ? 4 : 2;
    return {static_cast<const uint8_t*>(cache.data()) + size_t(first) * elem, type_, kv_e_, d_};
  }

  const Tensor& k_;
  const Tensor& v_;
  quant::RowType type_;
  quant::CpuIsa isa_;
  int64_t d_, kv_e_;
};

}  // namespace

void dense_attention_cpu(const AttentionArgs& a, const AttentionPart& part,
                         const quant::CpuCompute& cpu) {
  const DenseRows reader(a, cpu.isa);
  attend_kv_heads(a, part, reader, cpu);
}

void attention_partial_cpu(const AttentionPartialArgs& p, const quant::CpuCompute& cpu) {
  check_attention_partial(p);
  dense_attention_cpu(p.attention, {p.slot_offset, p.max.data<float>(), p.sum.data<float>()}, cpu);
}

void attention_partial_cpu(const AttentionPartialArgs& p) {
  static const quant::CpuIsa isa = quant::detect_cpu_isa();
  attention_partial_cpu(p, quant::CpuCompute(isa));
}

}  // namespace strata
