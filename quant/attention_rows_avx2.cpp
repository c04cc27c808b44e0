// AVX2 + FMA + F16C attention row kernels (attention_rows.h): a dot product keeps the 16 partial
// sums of the other paths in two ymm (element p into lane p % 16; the row's tail widened into a
// zero-padded block of 16), summed by the scalar path's tree (8, 4, 2, 1 lanes apart); four rows
// run side by side. A weighted sum holds 32 output elements in 4 ymm while it walks the slots;
// the last d % 8 elements are scalar FMAs.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "quant/attention_rows.h"

namespace strata::quant::avx2 {
namespace {

template <RowType T>
inline __m256 load8(const void* data, int64_t at) {
  if constexpr (T == RowType::kF32) {
    return _mm256_loadu_ps(static_cast<const float*>(data) + at);
  } else {
    const __m128i h =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(data) + at));
    if constexpr (T == RowType::kF16) {
      return _mm256_cvtph_ps(h);
    } else {  // bf16 is the top half of an f32
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
  }
}

template <RowType T>
inline float load1(const void* data, int64_t at) {
  if constexpr (T == RowType::kF32) {
    return static_cast<const float*>(data)[at];
  } else if constexpr (T == RowType::kF16) {
    return _cvtsh_ss(static_cast<const uint16_t*>(data)[at]);
  } else {
    const uint32_t bits = uint32_t(static_cast<const uint16_t*>(data)[at]) << 16;
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
  }
}

// Lanes (lo: 0-7, hi: 8-15) summed 8, 4, 2, 1 apart.
inline float reduce16(__m256 lo, __m256 hi) {
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

template <RowType T, int R>
inline void dots(const float* q, const void* data, const int64_t* o, int64_t d, float scale,
                 float* out) {
  __m256 lo[R], hi[R];
  for (int j = 0; j < R; ++j) lo[j] = hi[j] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 16 <= d; p += 16) {
    const __m256 q0 = _mm256_loadu_ps(q + p), q1 = _mm256_loadu_ps(q + p + 8);
    for (int j = 0; j < R; ++j) {
      lo[j] = _mm256_fmadd_ps(q0, load8<T>(data, o[j] + p), lo[j]);
      hi[j] = _mm256_fmadd_ps(q1, load8<T>(data, o[j] + p + 8), hi[j]);
    }
  }
  if (p < d) {  // the tail as one zero-padded block of 16
    alignas(32) float qt[16] = {}, kt[16];
    for (int64_t i = p; i < d; ++i) qt[i - p] = q[i];
    const __m256 q0 = _mm256_load_ps(qt), q1 = _mm256_load_ps(qt + 8);
    for (int j = 0; j < R; ++j) {
      for (int i = 0; i < 16; ++i) kt[i] = p + i < d ? load1<T>(data, o[j] + p + i) : 0.0f;
      lo[j] = _mm256_fmadd_ps(q0, _mm256_load_ps(kt), lo[j]);
      hi[j] = _mm256_fmadd_ps(q1, _mm256_load_ps(kt + 8), hi[j]);
    }
  }
  for (int j = 0; j < R; ++j) out[j] = reduce16(lo[j], hi[j]) * scale;
}

template <RowType T>
void scores_of(const float* q, const AttentionRows& r, const int32_t* slots, int64_t count,
               float scale, float* scores) {
  int64_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const int64_t o[4] = {slots[i] * r.stride, slots[i + 1] * r.stride, slots[i + 2] * r.stride,
                          slots[i + 3] * r.stride};
    dots<T, 4>(q, r.data, o, r.d, scale, scores + i);
  }
  for (; i < count; ++i) {
    const int64_t o = slots[i] * r.stride;
    dots<T, 1>(q, r.data, &o, r.d, scale, scores + i);
  }
}

template <RowType T>
void weighted_sum_of(const float* w, const AttentionRows& r, const int32_t* slots, int64_t count,
                     float* out) {
  const int64_t vectors = r.d / 8;  // full blocks of 8; the rest is scalar
  for (int64_t v0 = 0; v0 < vectors; v0 += 4) {
    const int64_t nv = std::min<int64_t>(4, vectors - v0);
    __m256 acc[4];
    for (int j = 0; j < 4; ++j) acc[j] = _mm256_setzero_ps();
    for (int64_t i = 0; i < count; ++i) {
      const __m256 wv = _mm256_set1_ps(w[i]);
      const int64_t o = slots[i] * r.stride + v0 * 8;
      for (int j = 0; j < 4; ++j)
        if (j < nv) acc[j] = _mm256_fmadd_ps(wv, load8<T>(r.data, o + 8 * j), acc[j]);
    }
    for (int j = 0; j < nv; ++j) _mm256_storeu_ps(out + (v0 + j) * 8, acc[j]);
  }
  for (int64_t p = vectors * 8; p < r.d; ++p) {
    float acc = 0.0f;
    for (int64_t i = 0; i < count; ++i) acc = std::fma(w[i], load1<T>(r.data, slots[i] * r.stride + p), acc);
    out[p] = acc;
  }
}

}  // namespace

void attention_scores(const float* q, const AttentionRows& rows, const int32_t* slots,
                      int64_t count, float scale, float* scores) {
  switch (rows.type) {
    case RowType::kF32: return scores_of<RowType::kF32>(q, rows, slots, count, scale, scores);
    case RowType::kF16: return scores_of<RowType::kF16>(q, rows, slots, count, scale, scores);
    case RowType::kBf16: return scores_of<RowType::kBf16>(q, rows, slots, count, scale, scores);
  }
}

void attention_weighted_sum(const float* weights, const AttentionRows& rows, const int32_t* slots,
                            int64_t count, float* out) {
  switch (rows.type) {
    case RowType::kF32: return weighted_sum_of<RowType::kF32>(weights, rows, slots, count, out);
    case RowType::kF16: return weighted_sum_of<RowType::kF16>(weights, rows, slots, count, out);
    case RowType::kBf16: return weighted_sum_of<RowType::kBf16>(weights, rows, slots, count, out);
  }
}

}  // namespace strata::quant::avx2
