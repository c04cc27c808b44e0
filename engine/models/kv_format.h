// KvFormat: how one token's keys (or values) of one layer are stored in a KV cache — dense
// [hidden] elements of f16 (the default, FlexGen's), bf16 (bf16 models) or f32, or compressed
// (FlexGen's compress_cache): group-wise asymmetric q4/q8 (quant/format.h, kCols) with the
// token's row viewed as a [heads, head_dim] matrix, so groups run along head_dim and never cross
// a head. Every KV cache (the all-in-memory KvCache, the executor's tiers on device, host and
// disk) stores these bytes, and attention reads them.
//
// Rows are converted once, when written (the new keys and values of each step: rounded to
// nearest even for f16/bf16 — beyond f16's range a key becomes infinite, as torch's .half()
// makes it, which is why bf16 models keep bf16 — or quantized with quant's scalar reference, so
// every path writes the same bytes), and read in that format by attention: half elements are
// widened in its inner loop (engine/backend/cpu/cpu_attention_head.h; CUDA's tile loads),
// packed rows dequantized a row at a time (engine/backend/cpu/cpu_attention_packed.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/core/tensor.h"

namespace strata {

struct KvFormat {
  TensorFormat element = TensorFormat(DType::f32);  // f32, f16, bf16, or q4/q8 with its group
  int64_t heads = 1;
  int64_t head_dim = 1;

  int64_t hidden() const { return heads * head_dim; }
  bool packed() const { return is_quantized(element.dtype); }
  // One token's K (or V) of one layer: hidden * 4 (f32) or * 2 (f16, bf16), or heads packed
  // rows of head_dim.
  size_t slot_bytes() const;
  bool operator==(const KvFormat&) const = default;
};

// The group size of a compressed cache: FlexGen's 64 when head_dim is a multiple of 64, else
// the fewest equal groups of at most 64 values per head (head_dim 48 -> one group of 48, 80 ->
// two of 40, 128 -> two of 64), rounded up to quant's multiple of 8. Equal groups waste no
// padding block, and a group never spans two heads, whose keys have unrelated ranges. The
// planner's count (planner/model_geometry.cpp kv_per_token: ceil(head_dim / 64) headers per
// head row, no padding) is then exact whenever this is a multiple of 8 — every OPT size.
int32_t kv_group_size(int64_t head_dim);

// The format of a cache of `cache_dtype` (f32, f16 or bf16 = uncompressed, q4 or q8);
// InputError otherwise.
KvFormat kv_format(DType cache_dtype, int64_t heads, int64_t head_dim);

// "f16", or "q4g64" (the element format) — for reports and errors.
std::string kv_format_name(const KvFormat& f);

// x: [tokens, hidden] f32 -> dst: tokens * slot_bytes() bytes (caller owns): copied (f32),
// rounded to nearest even (f16, bf16), or quantized with quant's scalar reference (every byte
// written). A NaN or infinite value cannot be quantized: Error naming the token and the head.
void store_kv_rows(const KvFormat& f, const float* x, int64_t tokens, void* dst);

// A view of [batch, slots] cache rows starting at data: [batch, slots, hidden] f32, f16 or bf16,
// or packed [batch, slots, heads, head_dim] (what Backend::attention takes).
Tensor kv_view(const KvFormat& f, void* data, int64_t batch, int64_t slots,
               Place place = Place::host);

// Where `tokens` new rows of x ([tokens, hidden] f32) go as Backend::store_rows' target:
// [tokens * heads, head_dim], dense or packed along head_dim.
Tensor kv_rows_view(const KvFormat& f, void* dst, int64_t tokens, Place place);

}  // namespace strata
