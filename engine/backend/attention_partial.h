// Partial attention over one part of a KV cache, and the merge of two parts (attention_merge.h),
// for decode attention over a cache split between tiers: with cpu_attention the host part is
// attended on the host (attention_partial_cpu), the device part on the GPU
// (CudaBackend::attention_partial), and the host result, copied to the device, is merged into
// the device one (CudaBackend::merge_attention_partials) or both are merged on the host
// (merge_attention_partials below).
//
// A part holds slots [slot_offset, slot_offset + S_part) of every sequence of the batch:
// attention.k_cache / v_cache are [B, S_part, kv_heads * head_dim] f32, f16 or bf16 (alike) and
// attention.key_valid is [B, S_part] for those slots only; attention.first_query_slot stays the global slot of q's
// first position, so query t (global slot p = first_query_slot + t) sees part slot s when
// key_valid[b, s] and the global slot g = slot_offset + s has g <= p and, with a window,
// g > p - window. Grouped-query heads as in AttentionArgs (backend.h).
#pragma once

#include <cstdint>

#include "engine/backend/backend.h"

namespace strata::quant {
struct CpuCompute;
}

namespace strata {

// One part's result: out [B, T, heads * head_dim] normalized over the part's visible slots (0 if none),
// max and sum [B, T, heads] f32 (attention_merge.h; -inf and 0 if none).
struct AttentionPartial {
  Tensor out;
  Tensor max;
  Tensor sum;
};

struct AttentionPartialArgs {
  AttentionArgs attention;  // out receives the part's normalized output
  int64_t slot_offset = 0;  // global slot of the part's slot 0
  Tensor max;               // [B, T, heads] f32, written
  Tensor sum;               // [B, T, heads] f32, written
};

// Head counts and window of attention (Backend::attention and partial attention): num_heads
// divides q's width, num_kv_heads (0 or a divisor of num_heads) and window are not negative.
void check_attention_heads(const AttentionArgs& a);
// Shape checks shared by every backend's partial attention (strata::Error on a mismatch).
void check_attention_partial(const AttentionPartialArgs& a);
// Shape checks of a merge: both parts [B, T, heads * head_dim] / [B, T, heads] alike.
void check_attention_merge(const AttentionPartial& into, const AttentionPartial& other,
                           int64_t num_heads);

// Host partial attention (fp32 over widened elements, the CPU backend's arithmetic), host
// pointers: on the calling thread with the best ISA this CPU runs, or with cpu's ISA, threads
// and pool (quant/cpu_isa.h; a CpuBackend's compute()). The thread count never changes the result.
void attention_partial_cpu(const AttentionPartialArgs& a);
void attention_partial_cpu(const AttentionPartialArgs& a, const quant::CpuCompute& cpu);

// into = merge(into, other) per (sequence, query, head), host pointers.
void merge_attention_partials(const AttentionPartial& into, const AttentionPartial& other,
                              int64_t num_heads);

}  // namespace strata
