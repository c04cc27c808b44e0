// AVX2 + FMA + F16C attention row kernels (attention_rows.h): a dot product keeps the 16 partial
// sums of the other paths in two ymm (element p into lane p % 16; the row's tail widened into a
// zero-padded block of 16), summed by the scalar path's tree (8, 4, 2, 1 lanes apart); four rows
// run side by side. A weighted sum holds 32 output elements in 4 ymm while it walks the slots;
// the last d % 8 elements are scalar FMAs.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include <limits>

#include "quant/attention_rows.h"
#include "quant/cephes_expf.h"

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
  scores_four_rows_at_a_time(r, slots, count, scores, [&](auto rows, const int64_t* o, float* out) {
    dots<T, decltype(rows)::value>(q, r.data, o, r.d, scale, out);
  });
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

// exp(x) for x <= 0 (cephes_expf.h); 0 below kExpMin, -inf included.
inline __m256 exp_nonpositive(__m256 x) {
  using namespace cephes;
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(kExpMin), _CMP_LT_OQ);
  x = _mm256_max_ps(x, _mm256_set1_ps(kExpMin));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP[0]);
  for (int i = 1; i < 6; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP[i]));
  const __m256 y =
      _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  // 2^n for n in [-126, 127]: the exponent field n + 127.
  const __m256i n_i = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  const __m256 two_n = _mm256_castsi256_ps(_mm256_slli_epi32(n_i, 23));
  return _mm256_andnot_ps(tiny, _mm256_mul_ps(y, two_n));
}

// Elements [i, i + 8) of x, zero past n (and the lanes that are x's, as a mask).
inline __m256i lanes_below(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<int64_t>(count, 8))),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

float attention_scale_max(float* x, const uint8_t* valid, int64_t n, float scale) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const __m256 s = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(neg_inf);
  __m256 max = ninf;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 y = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
    if (valid != nullptr) {
      uint64_t bytes;
      __builtin_memcpy(&bytes, valid + i, 8);
      const __m256i v = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(bytes)));
      y = _mm256_blendv_ps(y, ninf, _mm256_castsi256_ps(_mm256_cmpeq_epi32(v, _mm256_setzero_si256())));
    }
    _mm256_storeu_ps(x + i, y);
    max = _mm256_max_ps(max, y);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, max);
  float top = neg_inf;
  for (float l : lanes) top = std::max(top, l);
  for (; i < n; ++i) {
    x[i] = valid == nullptr || valid[i] ? x[i] * scale : neg_inf;
    top = std::max(top, x[i]);
  }
  return top;
}

float attention_exp_sum(float* x, int64_t n, float max) {
  const __m256 top = _mm256_set1_ps(max);
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();  // lanes 0-7 and 8-15
  for (int64_t i = 0; i < n; i += 16) {
    for (int half = 0; half < 2; ++half) {
      const int64_t at = i + 8 * half;
      if (at >= n) break;
      const __m256i m = lanes_below(n - at);
      const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_maskload_ps(x + at, m), top));
      _mm256_maskstore_ps(x + at, m, e);
      const __m256 add = _mm256_and_ps(e, _mm256_castsi256_ps(m));
      (half == 0 ? lo : hi) = _mm256_add_ps(half == 0 ? lo : hi, add);
    }
  }
  return reduce16(lo, hi);
}

void attention_scores(const float* q, const AttentionRows& rows, const int32_t* slots,
                      int64_t count, float scale, float* scores) {
  with_row_type(rows.type, [&](auto t) { scores_of<decltype(t)::value>(q, rows, slots, count, scale, scores); });
}

void attention_weighted_sum(const float* weights, const AttentionRows& rows, const int32_t* slots,
                            int64_t count, float* out) {
  with_row_type(rows.type,
                [&](auto t) { weighted_sum_of<decltype(t)::value>(weights, rows, slots, count, out); });
}

}  // namespace strata::quant::avx2
