// The portable attention row kernels and the ISA dispatch (attention_rows.h).
#include "quant/attention_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/fp16.h"
#include "quant/half_kernels.h"

namespace strata::quant {
namespace {

constexpr int kLanes = 16;

inline float element(const AttentionRows& r, int64_t slot, int64_t i) {
  const int64_t at = slot * r.stride + i;
  switch (r.type) {
    case RowType::kF16: return f16_to_f32(static_cast<const uint16_t*>(r.data)[at]);
    case RowType::kBf16: return bits_as_f32(uint32_t(static_cast<const uint16_t*>(r.data)[at]) << 16);
    default: return static_cast<const float*>(r.data)[at];
  }
}

// Element p into lane p % 16, lanes summed pairwise (8, 4, 2, 1 apart): the AVX-512 lane layout.
float dot_scalar(const float* q, const AttentionRows& r, int64_t slot) {
  float lane[kLanes] = {};
  for (int64_t p = 0; p < r.d; ++p) lane[p % kLanes] += q[p] * element(r, slot, p);
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) lane[i] += lane[i + w];
  return lane[0];
}

}  // namespace

void attention_scores(const float* q, const AttentionRows& rows, const int32_t* slots,
                      int64_t count, float scale, float* scores, CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return avx512::attention_scores(q, rows, slots, count, scale, scores);
    case CpuIsa::kAvx2: return avx2::attention_scores(q, rows, slots, count, scale, scores);
    case CpuIsa::kScalar:
      for (int64_t i = 0; i < count; ++i) scores[i] = dot_scalar(q, rows, slots[i]) * scale;
      return;
  }
}

void attention_weighted_sum(const float* weights, const AttentionRows& rows, const int32_t* slots,
                            int64_t count, float* out, CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return avx512::attention_weighted_sum(weights, rows, slots, count, out);
    case CpuIsa::kAvx2: return avx2::attention_weighted_sum(weights, rows, slots, count, out);
    case CpuIsa::kScalar:
      for (int64_t p = 0; p < rows.d; ++p) out[p] = 0.0f;
      for (int64_t i = 0; i < count; ++i)
        for (int64_t p = 0; p < rows.d; ++p) out[p] += weights[i] * element(rows, slots[i], p);
      return;
  }
}

void attention_row_f32(const AttentionRows& rows, int64_t slot, float* out, CpuIsa isa) {
  if (rows.type == RowType::kF32) {
    const float* src = static_cast<const float*>(rows.data) + slot * rows.stride;
    for (int64_t p = 0; p < rows.d; ++p) out[p] = src[p];
    return;
  }
  const HalfType type = rows.type == RowType::kF16 ? HalfType::kF16 : HalfType::kBf16;
  const uint16_t* src = static_cast<const uint16_t*>(rows.data) + slot * rows.stride;
  switch (isa) {
    case CpuIsa::kAvx512: return avx512::widen_half(src, type, rows.d, out);
    case CpuIsa::kAvx2: return avx2::widen_half(src, type, rows.d, out);
    case CpuIsa::kScalar:
      for (int64_t p = 0; p < rows.d; ++p) out[p] = element(rows, slot, p);
      return;
  }
}

float attention_scale_max(float* x, const uint8_t* valid, int64_t n, float scale, CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return avx512::attention_scale_max(x, valid, n, scale);
    case CpuIsa::kAvx2: return avx2::attention_scale_max(x, valid, n, scale);
    case CpuIsa::kScalar: break;
  }
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    x[i] = valid == nullptr || valid[i] ? x[i] * scale : -std::numeric_limits<float>::infinity();
    max = std::max(max, x[i]);
  }
  return max;
}

float attention_exp_sum(float* x, int64_t n, float max, CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return avx512::attention_exp_sum(x, n, max);
    case CpuIsa::kAvx2: return avx2::attention_exp_sum(x, n, max);
    case CpuIsa::kScalar: break;
  }
  float total = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    total += x[i];
  }
  return total;
}

}  // namespace strata::quant
