// Host-callable launchers of the CUDA backend's kernels (engine/backend/cuda/*.cu, target
// strata_engine_cuda). A plain C++17 header with no CUDA include (cudaStream_t is CUstream_st*,
// declared forward), so the backend's host code and the tests call them directly. Every launcher
// takes its stream (no default), is asynchronous on it, and throws strata::Error naming the
// kernel when the launch fails. All pointers are device memory; shapes are row-major.
#pragma once

#include <cstdint>

struct CUstream_st;

namespace strata::cuda::kernels {

using Stream = CUstream_st*;  // == cudaStream_t

// Element types a kernel reads (stored weights, tables, norm parameters) or writes (GEMM inputs).
enum class ElemType : int { f32, f16, bf16 };

// y[i] += x[i] for i < n.
void add(const float* x, float* y, int64_t n, Stream stream);
// x[i] = max(x[i], 0) / the exact erf GELU 0.5 x (1 + erf(x / sqrt 2)), in place.
void relu(float* x, int64_t n, Stream stream);
void gelu(float* x, int64_t n, Stream stream);
// y[m, n] += bias[n] (bias elements of `type`).
void add_bias(float* y, int64_t m, int64_t n, const void* bias, ElemType type, Stream stream);
// dst[i] = src[i] rounded to nearest even as f16 or bf16 bits (`type` f16 or bf16), i < n.
void f32_to_16bit(const float* src, int64_t n, ElemType type, uint16_t* dst, Stream stream);
// dst[i] = float(src[i]) for src of `type`, i < n (exact: f16 and bf16 widen without rounding).
void to_f32(const void* src, ElemType type, int64_t n, float* dst, Stream stream);
// y[i, :] = table[ids[i], :] (accumulate: +=), y: [m, d] f32, table: [V, d] of `type`; ids are
// device memory, already checked against V on the host.
void embedding(const void* table, ElemType type, const int32_t* ids, int64_t m, int64_t d,
               bool accumulate, float* y, Stream stream);

// y[m, h] = (x - mean) / sqrt(var + eps) * gamma + beta per row (two-pass mean and centred
// variance like the CPU backend); gamma / beta may be null (1 / 0); y may alias x.
struct LayerNormParams {
  const float* x = nullptr;
  float* y = nullptr;
  int64_t rows = 0, cols = 0;
  const void* gamma = nullptr;
  ElemType gamma_type = ElemType::f32;
  const void* beta = nullptr;
  ElemType beta_type = ElemType::f32;
  float eps = 1e-5f;
};
void layer_norm(const LayerNormParams& p, Stream stream);

// y[m, h] = x / sqrt(mean(x²) + eps) * gamma per row (fp32 statistics, transformers
// LlamaRMSNorm); gamma may be null (1); y may alias x.
struct RmsNormParams {
  const float* x = nullptr;
  float* y = nullptr;
  int64_t rows = 0, cols = 0;
  const void* gamma = nullptr;
  ElemType gamma_type = ElemType::f32;
  float eps = 1e-6f;
};
void rms_norm(const RmsNormParams& p, Stream stream);

// Rotary embedding in place, rotate_half layout (Backend::rope): x [rows, width], width a multiple
// of head_dim; positions [rows] and inv_freq [head_dim / 2] are device memory.
struct RopeParams {
  float* x = nullptr;
  int64_t rows = 0, width = 0, head_dim = 0;
  const int32_t* positions = nullptr;
  const float* inv_freq = nullptr;
};
void rope(const RopeParams& p, Stream stream);

// out[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n; out may alias gate or up.
void silu_mul(const float* gate, const float* up, float* out, int64_t n, Stream stream);

// How a KV cache's elements are stored (Backend::attention, engine/models/kv_format.h): dense
// f32, f16 or bf16 [batch, slots, kv_heads * head_dim], read with one widening load per element;
// or packed q4/q8 [batch, slots, kv_heads, head_dim], one kCols row of head_dim per (slot, KV
// head), groups of kv_group_size along head_dim (quant/format.h), dequantized as each element is
// staged (quant/group_codec.h dequantize_element: the scalar reference's fmaf(code, scale, min)).
enum class KvStorage : int { f32, f16, bf16, q4, q8 };

// Tiled online-softmax attention (FlashAttention, Dao et al. 2022): for sequence b, query head h
// (reading KV head h / (heads / kv_heads)) and query t at global slot p = first_query_slot + t,
// softmax over part slots s with key_valid[b, s] whose global slot g = slot_offset + s has
// g <= p and, with a window, g > p - window; scores live only per tile of 32 keys, never as a
// [T, S] matrix.
//   q, out: [batch, queries, hidden = heads * head_dim]; k, v: [batch, slots, kv_heads *
//   head_dim] in kv_storage (above; packed rows must start 4-byte aligned); key_valid:
//   [batch, slots]
//   max, sum (optional, both or neither): [batch, queries, heads], the partial state of
//   attention_merge.h (-inf / 0 for a query that sees no slot; its out is 0).
inline constexpr int64_t kMaxHeadDim = 128;
struct FlashAttentionParams {
  const float* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  KvStorage kv_storage = KvStorage::f32;
  int32_t kv_group_size = 0;  // q4/q8: elements per group along head_dim
  const uint8_t* key_valid = nullptr;
  float* out = nullptr;
  float* max = nullptr;
  float* sum = nullptr;
  int64_t batch = 0, queries = 0, slots = 0, hidden = 0, heads = 1;
  int64_t kv_heads = 0;  // 0: heads
  int64_t window = 0;    // 0: unlimited
  int64_t first_query_slot = 0;
  int64_t slot_offset = 0;
  float scale = 1.0f;
};
void flash_attention(const FlashAttentionParams& p, Stream stream);

// Part b merged into part a (attention_merge.h's merge_partial_head per (row, head)):
// out_*: [rows, heads * head_dim], max_* and sum_*: [rows, heads].
struct MergeParams {
  float* out_a = nullptr;
  float* max_a = nullptr;
  float* sum_a = nullptr;
  const float* out_b = nullptr;
  const float* max_b = nullptr;
  const float* sum_b = nullptr;
  int64_t rows = 0, heads = 1, head_dim = 0;
};
void merge_attention_partials(const MergeParams& p, Stream stream);

}  // namespace strata::cuda::kernels
