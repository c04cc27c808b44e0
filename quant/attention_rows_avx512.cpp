// AVX-512 attention row kernels (attention_rows.h; compiled with -mavx512f -mavx512bw -mavx512vl):
// a dot product is one zmm of 16 partial sums (element p into lane p % 16, the row's tail a
// masked load whose zeros add nothing) summed by _mm512_reduce_add_ps; four rows run side by
// side so the FMA latency is hidden, each row's operations unchanged. A weighted sum holds 64
// output elements in 4 zmm while it walks the slots.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the pass-through of their unmasked
// forms, which -Wuninitialized reports at every use (GCC bug 105593); nothing is uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>

#include <limits>

#include "quant/attention_rows.h"
#include "quant/cephes_expf.h"

namespace strata::quant::avx512 {
namespace {

// 16 elements of a row from element offset `at`, lanes outside `mask` zero.
template <RowType T>
inline __m512 load16(const void* data, int64_t at, __mmask16 mask) {
  if constexpr (T == RowType::kF32) {
    return _mm512_maskz_loadu_ps(mask, static_cast<const float*>(data) + at);
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(mask, static_cast<const uint16_t*>(data) + at);
    if constexpr (T == RowType::kF16) {
      return _mm512_cvtph_ps(h);
    } else {  // bf16 is the top half of an f32
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
  }
}

inline __mmask16 lanes_from(int64_t n) {  // the first min(n, 16) lanes (n >= 0)
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

// Rows o[0..R) (element offsets) dotted with q: R accumulators, the same steps for each.
template <RowType T, int R>
inline void dots(const float* q, const void* data, const int64_t* o, int64_t d, float scale,
                 float* out) {
  __m512 acc[R];
  for (int j = 0; j < R; ++j) acc[j] = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + 16 <= d; p += 16) {
    const __m512 qv = _mm512_loadu_ps(q + p);
    for (int j = 0; j < R; ++j) acc[j] = _mm512_fmadd_ps(qv, load16<T>(data, o[j] + p, 0xffff), acc[j]);
  }
  if (p < d) {
    const __mmask16 m = lanes_from(d - p);
    const __m512 qv = _mm512_maskz_loadu_ps(m, q + p);
    for (int j = 0; j < R; ++j) acc[j] = _mm512_fmadd_ps(qv, load16<T>(data, o[j] + p, m), acc[j]);
  }
  for (int j = 0; j < R; ++j) out[j] = _mm512_reduce_add_ps(acc[j]) * scale;
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
  for (int64_t c0 = 0; c0 < r.d; c0 += 64) {
    __mmask16 m[4];
    for (int j = 0; j < 4; ++j) m[j] = lanes_from(std::max<int64_t>(0, r.d - c0 - 16 * j));
    __m512 acc[4];
    for (int j = 0; j < 4; ++j) acc[j] = _mm512_setzero_ps();
    for (int64_t i = 0; i < count; ++i) {
      const __m512 wv = _mm512_set1_ps(w[i]);
      const int64_t o = slots[i] * r.stride + c0;
      for (int j = 0; j < 4; ++j)
        if (m[j]) acc[j] = _mm512_fmadd_ps(wv, load16<T>(r.data, o + 16 * j, m[j]), acc[j]);
    }
    for (int j = 0; j < 4; ++j) _mm512_mask_storeu_ps(out + c0 + 16 * j, m[j], acc[j]);
  }
}

// exp(x) for x <= 0 (cephes_expf.h); 0 below kExpMin, -inf included.
inline __m512 exp_nonpositive(__m512 x) {
  using namespace cephes;
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kExpMin), _CMP_LT_OQ);
  x = _mm512_max_ps(x, _mm512_set1_ps(kExpMin));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP[0]);
  for (int i = 1; i < 6; ++i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP[i]));
  const __m512 y =
      _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  return _mm512_maskz_scalef_ps(__mmask16(~tiny), y, n);
}

}  // namespace

float attention_scale_max(float* x, const uint8_t* valid, int64_t n, float scale) {
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512 s = _mm512_set1_ps(scale);
  __m512 max = neg_inf;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes_from(n - i);
    __mmask16 keep = m;
    if (valid != nullptr) {
      const __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, valid + i));
      keep = _mm512_mask_test_epi32_mask(m, v, v);
    }
    const __m512 y = _mm512_mask_mul_ps(neg_inf, keep, _mm512_maskz_loadu_ps(m, x + i), s);
    _mm512_mask_storeu_ps(x + i, m, y);
    max = _mm512_max_ps(max, y);
  }
  return _mm512_reduce_max_ps(max);
}

float attention_exp_sum(float* x, int64_t n, float max) {
  const __m512 top = _mm512_set1_ps(max);
  __m512 total = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes_from(n - i);
    const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), top));
    _mm512_mask_storeu_ps(x + i, m, e);
    total = _mm512_mask_add_ps(total, m, total, e);
  }
  return _mm512_reduce_add_ps(total);
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

}  // namespace strata::quant::avx512
