// AVX-512 direct dequant-dot kernels for decode shapes, kCols groups of a multiple of 16 elements:
// q4 against 1-4 rows of x, q8 against 1-3. Single-threaded; callers split row ranges.
//
// q8: for a group with scale s and minimum mn, sum_k (c_k s + mn) x_k =
// s · sum_k c_k x_k + mn · sum_k x_k, so a group costs the codes' FMAs plus one FMA for its scale;
// the minimum's term uses x's group sums, computed once by the caller. On Zen 4 (512-bit FMAs
// issue as two 256-bit halves) it ran 1.1-1.4x the AVX2 kernel at one row and not faster at 2-4
// rows; on Zen 5 it ran 1.2-1.3x the AVX2 kernel at 2-3 rows (docs/benchmarks.md section 9), and
// the strip kernel (gemm_strips_avx512.cpp) takes 4 and more.
//
// q4: a group has only 16 levels, fmaf(c, s, mn) for c = 0..15, so the kernel computes them once
// per group (one FMA) and looks each code up with vpermps, which reads the low 4 bits of each
// index lane: each weight is exactly dequantize_ref's value, at the cost of one shuffle, and then
// takes one FMA per row of x. Byte j of a group holds elements 2j (low nibble) and 2j + 1 (high
// nibble); 16 bytes zero-extended to 16 dwords index the 16 even elements as they are and the 16
// odd ones after a shift by 4, so x is read in that order: arrange_x_q4 de-interleaves it once per
// call. 32 codes become fp32 weights in 4 ops (a zero-extension, a shift, two lookups), against 14
// in the former one-row kernel (unpack, then convert, 16 codes at a time) and 28 in the AVX2
// kernel (8 at a time, then a dequantizing FMA); docs/benchmarks.md section 9 has the figures.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the pass-through of their unmasked
// forms, which -Wuninitialized reports at every use (GCC bug 105593); nothing is uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cstring>

#include "quant/group_codec.h"
#include "quant/q4_levels_avx512.h"
#include "quant/quant_kernels_avx512.h"

namespace strata::quant::avx512 {
namespace {

// 16 consecutive q8 codes as fp32.
inline __m512 load_q8_codes16(const uint8_t* p) {
  return _mm512_cvtepi32_ps(
      _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

// 16 bytes of q4 codes as 16 dwords: low nibble = an even element, bits 4..7 = the odd one.
inline __m512i zero_extend16(const uint8_t* p) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// acc[i] += w16 * x[i * ldx, 16 columns) for the M rows of x.
template <int M>
inline void fma_rows(__m512 w16, const float* x, int64_t ldx, __m512* acc) {
  for (int i = 0; i < M; ++i) acc[i] = _mm512_fmadd_ps(w16, _mm512_loadu_ps(x + i * ldx), acc[i]);
}

template <int M>
void gemm_q4_rows(const float* x, int64_t ldx, const QuantMatrix& w, const float* bias, float* y,
                  int64_t ldy) {
  const QuantFormat& f = w.format;
  const int64_t g = f.group_size, bb = block_bytes(f), groups = groups_per_row(f, w.cols);
  for (int64_t j = 0; j < w.rows; ++j) {
    const uint8_t* block = w.data + j * row_bytes(f, w.cols);
    // Four accumulators per row of x over the whole weight row break the FMA latency chain; a
    // group of 64 (the default) is one step of the first loop. acc[a][i]: row i of x.
    __m512 acc[4][M];
    for (int i = 0; i < M; ++i) acc[0][i] = acc[1][i] = acc[2][i] = acc[3][i] = _mm512_setzero_ps();
    const float* xg = x;
    for (int64_t grp = 0; grp < groups; ++grp, block += bb, xg += g) {
      const __m512 levels = q4_levels(block);
      const uint8_t* codes = block + sizeof(GroupHeader);
      int64_t k = 0;
      for (; k + 64 <= g; k += 64) {
        const __m512i lo = zero_extend16(codes + k / 2), hi = zero_extend16(codes + k / 2 + 16);
        fma_rows<M>(_mm512_permutexvar_ps(lo, levels), xg + k, ldx, acc[0]);
        fma_rows<M>(_mm512_permutexvar_ps(_mm512_srli_epi32(lo, 4), levels), xg + k + 16, ldx,
                    acc[1]);
        fma_rows<M>(_mm512_permutexvar_ps(hi, levels), xg + k + 32, ldx, acc[2]);
        fma_rows<M>(_mm512_permutexvar_ps(_mm512_srli_epi32(hi, 4), levels), xg + k + 48, ldx,
                    acc[3]);
      }
      if (k + 32 <= g) {
        const __m512i lo = zero_extend16(codes + k / 2);
        fma_rows<M>(_mm512_permutexvar_ps(lo, levels), xg + k, ldx, acc[0]);
        fma_rows<M>(_mm512_permutexvar_ps(_mm512_srli_epi32(lo, 4), levels), xg + k + 16, ldx,
                    acc[1]);
        k += 32;
      }
      if (k < g) {  // g = 16 (mod 32): 8 bytes, their 8 low nibbles then their 8 high ones
        const __m256i b =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + k / 2)));
        const __m512i both =
            _mm512_inserti64x4(_mm512_castsi256_si512(b), _mm256_srli_epi32(b, 4), 1);
        fma_rows<M>(_mm512_permutexvar_ps(both, levels), xg + k, ldx, acc[2]);
      }
    }
    const float b = bias ? bias[j] : 0.0f;
    for (int i = 0; i < M; ++i) {
      const __m512 total =
          _mm512_add_ps(_mm512_add_ps(acc[0][i], acc[1][i]), _mm512_add_ps(acc[2][i], acc[3][i]));
      y[i * ldy + j] = _mm512_reduce_add_ps(total) + b;
    }
  }
}

template <int M>
void gemm_q8_rows(const float* x, const float* xsum, int64_t ldx, const QuantMatrix& w,
                  const float* bias, float* y, int64_t ldy) {
  const QuantFormat& f = w.format;
  const int64_t g = f.group_size, bb = block_bytes(f), groups = groups_per_row(f, w.cols);
  for (int64_t j = 0; j < w.rows; ++j) {
    const uint8_t* block = w.data + j * row_bytes(f, w.cols);
    __m512 total[M];
    float min_part[M];
    for (int i = 0; i < M; ++i) total[i] = _mm512_setzero_ps(), min_part[i] = 0.0f;
    for (int64_t grp = 0; grp < groups; ++grp, block += bb) {
      const GroupHeader h = load_header(block);
      const uint8_t* codes = block + sizeof(GroupHeader);
      const float* xg = x + grp * g;
      // Two accumulators per row break the FMA latency chain of a short group; the loop takes 32
      // codes a step so that both stay in registers.
      __m512 acc0[M], acc1[M];
      for (int i = 0; i < M; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
      int64_t k = 0;
      for (; k + 32 <= g; k += 32) {
        const __m512 c0 = load_q8_codes16(codes + k), c1 = load_q8_codes16(codes + k + 16);
        for (int i = 0; i < M; ++i) {
          acc0[i] = _mm512_fmadd_ps(c0, _mm512_loadu_ps(xg + i * ldx + k), acc0[i]);
          acc1[i] = _mm512_fmadd_ps(c1, _mm512_loadu_ps(xg + i * ldx + k + 16), acc1[i]);
        }
      }
      if (k < g) {  // g = 16 (mod 32)
        const __m512 c0 = load_q8_codes16(codes + k);
        for (int i = 0; i < M; ++i)
          acc0[i] = _mm512_fmadd_ps(c0, _mm512_loadu_ps(xg + i * ldx + k), acc0[i]);
      }
      const __m512 scale = _mm512_set1_ps(_cvtsh_ss(h.scale));
      const float min = _cvtsh_ss(h.min);
      for (int i = 0; i < M; ++i) {
        total[i] = _mm512_fmadd_ps(_mm512_add_ps(acc0[i], acc1[i]), scale, total[i]);
        min_part[i] += min * xsum[i * groups + grp];
      }
    }
    const float b = bias ? bias[j] : 0.0f;
    for (int i = 0; i < M; ++i)
      y[i * ldy + j] = _mm512_reduce_add_ps(total[i]) + min_part[i] + b;
  }
}

}  // namespace

void gemm_q4(const float* x_arranged, int m, int64_t ldx, const QuantMatrix& w, const float* bias,
             float* y, int64_t ldy) {
  switch (m) {
    case 1:
      return gemm_q4_rows<1>(x_arranged, ldx, w, bias, y, ldy);
    case 2:
      return gemm_q4_rows<2>(x_arranged, ldx, w, bias, y, ldy);
    case 3:
      return gemm_q4_rows<3>(x_arranged, ldx, w, bias, y, ldy);
    case 4:
      return gemm_q4_rows<4>(x_arranged, ldx, w, bias, y, ldy);
    default:
      break;  // the front only sends 1..4
  }
}

void arrange_x_q4(const float* x, int64_t cols, int32_t group_size, float* out) {
  for (int64_t g0 = 0; g0 < cols; g0 += group_size) {
    for (int64_t c0 = g0; c0 < g0 + group_size; c0 += 32) {
      const int64_t half = std::min<int64_t>(32, g0 + group_size - c0) / 2;  // 16, or 8 at a tail
      for (int64_t t = 0; t < half; ++t) {
        out[c0 + t] = x[c0 + 2 * t];
        out[c0 + half + t] = x[c0 + 2 * t + 1];
      }
    }
  }
}

void gemm_q8(const float* x, const float* xsum, int m, int64_t ldx, const QuantMatrix& w,
             const float* bias, float* y, int64_t ldy) {
  switch (m) {
    case 1:
      return gemm_q8_rows<1>(x, xsum, ldx, w, bias, y, ldy);
    case 2:
      return gemm_q8_rows<2>(x, xsum, ldx, w, bias, y, ldy);
    case 3:
      return gemm_q8_rows<3>(x, xsum, ldx, w, bias, y, ldy);
    default:
      break;  // the front only sends 1..3
  }
}

}  // namespace strata::quant::avx512
