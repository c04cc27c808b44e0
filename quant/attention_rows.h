// The row kernels of CPU attention (engine/backend/cpu/cpu_attention_head.h): one query's
// scores against a list of K rows, and the weighted sum of a list of V rows, with f16/bf16 rows
// widened in registers (vcvtph2ps / a 16-bit shift: exact), never through a widened copy.
//
//   rows: row s at data + s * stride elements, d elements each (one KV head of one sequence of a
//         [B, S, kv_heads * d] cache: stride kv_heads * d; or a [n, d] fp32 scratch: stride d)
//   slots: the rows to read, in the order given (int32 row indices; caller owns)
//
// Paths (isa): kAvx512 (zmm), kAvx2 (ymm + FMA), kScalar (portable). Each dot product keeps 16
// partial sums (element p into sum p % 16) summed by one fixed tree, and each element of a
// weighted sum is one running sum in slot order, so a result depends only on the values and the
// ISA: never on the row's type, stride or address. An f16/bf16 row gives bit for bit what its
// exact fp32 widening gives (the packed-cache and block paths rely on it).
#pragma once

#include <cstdint>
#include <type_traits>

#include "quant/cpu_isa.h"

namespace strata::quant {

enum class RowType : uint8_t { kF32, kF16, kBf16 };

struct AttentionRows {
  const void* data = nullptr;  // row 0 (float or uint16_t elements)
  RowType type = RowType::kF32;
  int64_t stride = 0;  // elements from one row to the next
  int64_t d = 0;       // elements per row
};

// scores[i] = scale * (q · rows[slots[i]]) for i in [0, count); q: [rows.d] fp32.
void attention_scores(const float* q, const AttentionRows& rows, const int32_t* slots,
                      int64_t count, float scale, float* scores, CpuIsa isa);

// out[0, d) = sum over i in [0, count) of weights[i] * rows[slots[i]], in i order.
void attention_weighted_sum(const float* weights, const AttentionRows& rows, const int32_t* slots,
                            int64_t count, float* out, CpuIsa isa);

// rows[slot] as fp32 into out[0, d) (exact).
void attention_row_f32(const AttentionRows& rows, int64_t slot, float* out, CpuIsa isa);

// The softmax of a row of scores, in two steps:
// x[i] = scale * x[i] where valid[i] (valid null: every i), -inf elsewhere, for i in [0, n);
// returns the largest (-inf when none is valid). Exact: a product and a max.
float attention_scale_max(float* x, const uint8_t* valid, int64_t n, float scale, CpuIsa isa);
// x[i] = exp(x[i] - max) (0 for -inf), i in [0, n), returning their sum; max finite. kScalar:
// std::exp, summed in order; AVX2/AVX-512: Cephes' expf polynomial (within 2 ulp of exp in
// tests/quant/test_attention_rows.cpp), summed in 16 partial sums.
float attention_exp_sum(float* x, int64_t n, float max, CpuIsa isa);

// Internal: calls f(std::integral_constant<RowType, T>{}) with T = type, for the kernels
// templated on their row type.
template <typename F>
inline void with_row_type(RowType type, F&& f) {
  switch (type) {
    case RowType::kF16: return f(std::integral_constant<RowType, RowType::kF16>{});
    case RowType::kBf16: return f(std::integral_constant<RowType, RowType::kBf16>{});
    case RowType::kF32: return f(std::integral_constant<RowType, RowType::kF32>{});
  }
}

// Internal: the scores' loop of the SIMD kernels, four rows side by side (hiding the FMA latency;
// each row's operations are those it gets alone), then one at a time:
// dots(std::integral_constant<int, R>{}, offsets, out) scores R rows at element offsets[0, R).
template <typename Dots>
inline void scores_four_rows_at_a_time(const AttentionRows& r, const int32_t* slots, int64_t count,
                                       float* scores, Dots&& dots) {
  int64_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const int64_t o[4] = {slots[i] * r.stride, slots[i + 1] * r.stride, slots[i + 2] * r.stride,
                          slots[i + 3] * r.stride};
    dots(std::integral_constant<int, 4>{}, o, scores + i);
  }
  for (; i < count; ++i) {
    const int64_t o = slots[i] * r.stride;
    dots(std::integral_constant<int, 1>{}, &o, scores + i);
  }
}

// Internal: the SIMD kernels behind the functions above (attention_rows_avx2.cpp,
// attention_rows_avx512.cpp, each compiled for its ISA); call only after check_cpu_isa().
namespace avx2 {
void attention_scores(const float* q, const AttentionRows& rows, const int32_t* slots,
                      int64_t count, float scale, float* scores);
void attention_weighted_sum(const float* weights, const AttentionRows& rows, const int32_t* slots,
                            int64_t count, float* out);
float attention_scale_max(float* x, const uint8_t* valid, int64_t n, float scale);
float attention_exp_sum(float* x, int64_t n, float max);
}  // namespace avx2
namespace avx512 {
void attention_scores(const float* q, const AttentionRows& rows, const int32_t* slots,
                      int64_t count, float scale, float* scores);
void attention_weighted_sum(const float* weights, const AttentionRows& rows, const int32_t* slots,
                            int64_t count, float* out);
float attention_scale_max(float* x, const uint8_t* valid, int64_t n, float scale);
float attention_exp_sum(float* x, int64_t n, float max);
}  // namespace avx512

}  // namespace strata::quant
