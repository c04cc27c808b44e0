// AVX-512 q4/q8 GEMM for a few to a few dozen rows of x (batched decode, 4-64 rows): a strip of
// kStripRows weight rows is dequantized exactly (as dequantize_ref, weight by weight) into an
// L1-sized fp32 scratch, kChunkCols columns at a time, and every block of 4 rows of x is then
// multiplied against it in registers (4 x 6 accumulators of 16 lanes). Each weight byte is read
// from memory once and dequantized once whatever m is; the direct kernels
// (gemm_small_m_avx512.cpp) redo the lookup or the scale for every block of rows of x, and the
// former banded path wrote a 1 MiB band to L2 and handed it to oneDNN: 0.35-0.9x this kernel at
// 8-64 rows (docs/benchmarks.md section 9).
//
// q4 strips hold each group in the order of its codes' nibbles (arrange_x_q4's order, in which x is
// read too): 32 codes become 32 weights in 4 ops (zero-extension, shift, two 16-level lookups) with
// no interleave. Single-threaded; the front splits rows across threads.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the pass-through of their unmasked
// forms, which -Wuninitialized reports at every use (GCC bug 105593); nothing is uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cstring>
#include <vector>

#include "quant/group_codec.h"
#include "quant/q4_levels_avx512.h"
#include "quant/quant_kernels_avx512.h"

namespace strata::quant::avx512 {
namespace {

// Weight rows per strip and rows of x per register block: 24 accumulators + 4 rows of x + one
// weight vector fill 29 of the 32 zmm registers. Measured on Zen 5 (2 threads, [8192, 2048] g64,
// 4-64 rows of x): 6 x 4 ran 1.05-1.2x 4 x 4 (fewer loads of x per FMA) and 1.4-1.6x 8 x 2;
// 4 x 6 (6 rows of x, 4 weight rows) and 8 x 3 (its weights folded into every FMA by GCC) were
// slower.
constexpr int kStripRows = 6;
constexpr int kBlockRowsOfX = 4;
// Columns per dequantized chunk (rounded to whole groups): a strip chunk is 6 x 1024 floats
// (24 KiB, in L1) and the matching columns of 64 rows of x (256 KiB) stay in L2. 1024 ran
// 1.05-1.2x 2048 at 32-64 rows; 512 and 1536 were slower.
constexpr int64_t kChunkCols = 1024;
// The next strip's codes are prefetched while this one is dequantized (2 strips ahead: no gain).
constexpr int kPrefetchStrips = 1;

// One q4 group into out[0, g) in nibble order (see arrange_x_q4).
inline void dequantize_q4_group(const uint8_t* block, int64_t g, float* out) {
  const __m512 levels = q4_levels(block);
  const uint8_t* codes = block + sizeof(GroupHeader);
  int64_t k = 0;
  for (; k + 32 <= g; k += 32) {
    const __m512i c =
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + k / 2)));
    _mm512_storeu_ps(out + k, _mm512_permutexvar_ps(c, levels));
    _mm512_storeu_ps(out + k + 16, _mm512_permutexvar_ps(_mm512_srli_epi32(c, 4), levels));
  }
  if (k < g) {  // g = 16 (mod 32): 8 bytes, their 8 low nibbles then their 8 high ones
    const __m256i b =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + k / 2)));
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(b), _mm256_srli_epi32(b, 4), 1);
    _mm512_storeu_ps(out + k, _mm512_permutexvar_ps(both, levels));
  }
}

// One q8 group into out[0, g): fmaf(code, scale, min) per element, one rounding as decode_value.
inline void dequantize_q8_group(const uint8_t* block, int64_t g, float* out) {
  const GroupHeader h = load_header(block);
  const __m512 scale = _mm512_cvtph_ps(_mm256_set1_epi16(short(h.scale)));
  const __m512 min = _mm512_cvtph_ps(_mm256_set1_epi16(short(h.min)));
  const uint8_t* codes = block + sizeof(GroupHeader);
  for (int64_t k = 0; k < g; k += 16) {
    const __m512 c = _mm512_cvtepi32_ps(
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + k))));
    _mm512_storeu_ps(out + k, _mm512_fmadd_ps(c, scale, min));
  }
}

// Four accumulators' lane sums as one vector: [sum a, sum b, sum c, sum d].
inline __m128 sum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
  const __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m256 half =
      _mm256_add_ps(_mm512_castps512_ps256(abcd),
                    _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(abcd), 1)));
  return _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
}

// y[i * ldy + j] (= or +=) sum_p x[i * ldx + p] * s[j * lds + p] for i < MB, j < NB, p < cols (a
// multiple of 16). The MB values of x stay in registers and the NB weights stream from the scratch.
template <int MB, int NB>
void block(const float* x, int64_t ldx, const float* s, int64_t lds, int64_t cols, float* y,
           int64_t ldy, bool accumulate) {
  // The fixed loops must unroll so that the accumulators live in registers: at -O2 GCC 12 left
  // them in memory, an FMA through the stack each.
  __m512 acc[MB][NB];
#pragma GCC unroll 16
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int64_t p = 0; p < cols; p += 16) {
    __m512 xv[MB];
#pragma GCC unroll 16
    for (int i = 0; i < MB; ++i) xv[i] = _mm512_loadu_ps(x + i * ldx + p);
#pragma GCC unroll 16
    for (int j = 0; j < NB; ++j) {
      const __m512 wv = _mm512_loadu_ps(s + j * lds + p);
#pragma GCC unroll 16
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MB; ++i) {
    float* yi = y + i * ldy;
    int j = 0;
#pragma GCC unroll 4
    for (; j + 4 <= NB; j += 4) {
      __m128 v = sum4(acc[i][j], acc[i][j + 1], acc[i][j + 2], acc[i][j + 3]);
      if (accumulate) v = _mm_add_ps(v, _mm_loadu_ps(yi + j));
      _mm_storeu_ps(yi + j, v);
    }
    for (; j < NB; ++j) {
      const float v = _mm512_reduce_add_ps(acc[i][j]);
      yi[j] = accumulate ? yi[j] + v : v;
    }
  }
}

// Rows i0.. of x in blocks of MB (the last m % kBlockRowsOfX rows: MB counts down to 1).
template <int NB, int MB = kBlockRowsOfX>
void rows_of_x(const float* x, int m, int64_t ldx, const float* s, int64_t lds, int64_t cols,
               float* y, int64_t ldy, bool accumulate) {
  if constexpr (MB >= 1) {
    int i = 0;
    for (; i + MB <= m; i += MB)
      block<MB, NB>(x + i * ldx, ldx, s, lds, cols, y + i * ldy, ldy, accumulate);
    if (i < m)
      rows_of_x<NB, MB - 1>(x + i * ldx, m - i, ldx, s, lds, cols, y + i * ldy, ldy, accumulate);
  }
}

// All m rows of x against a strip of `rows` dequantized weight rows (NB counts down to 1).
template <int NB = kStripRows>
void strip_rows(int rows, const float* x, int m, int64_t ldx, const float* s, int64_t lds,
                int64_t cols, float* y, int64_t ldy, bool accumulate) {
  if constexpr (NB >= 1) {
    if (rows == NB) return rows_of_x<NB>(x, m, ldx, s, lds, cols, y, ldy, accumulate);
    strip_rows<NB - 1>(rows, x, m, ldx, s, lds, cols, y, ldy, accumulate);
  }
}

}  // namespace

void gemm_strips(const float* x, int m, int64_t ldx, const QuantMatrix& w, const float* bias,
                 float* y, int64_t ldy) {
  const QuantFormat& f = w.format;
  const bool q4 = f.bits == QuantBits::k4;
  const int64_t g = f.group_size, bb = block_bytes(f), rb = row_bytes(f, w.cols);
  const int64_t chunk_groups = std::max<int64_t>(1, kChunkCols / g), chunk_cols = chunk_groups * g;
  // The last chunk may be shorter; ldx is the padded row, a multiple of g.
  thread_local std::vector<float> scratch;
  scratch.resize(size_t(kStripRows * chunk_cols));
  for (int64_t j0 = 0; j0 < w.rows; j0 += kStripRows) {
    const int rows = int(std::min<int64_t>(kStripRows, w.rows - j0));
    for (int64_t c0 = 0; c0 < ldx; c0 += chunk_cols) {
      const int64_t cols = std::min(chunk_cols, ldx - c0), first_group = c0 / g;
      for (int r = 0; r < rows; ++r) {
        const uint8_t* block = w.data + (j0 + r) * rb + first_group * bb;
        float* out = scratch.data() + r * chunk_cols;
        for (int64_t p = 0; p < cols; p += g, block += bb) {
          // The next strip's bytes at the same place: short rows (1-2 KiB at k = 2048) are streams
          // the hardware prefetcher picks up late (as half_gemm_avx512's kernel found).
          _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchStrips * kStripRows * rb),
                       _MM_HINT_T0);
          if (q4) {
            dequantize_q4_group(block, g, out + p);
          } else {
            dequantize_q8_group(block, g, out + p);
          }
        }
      }
      strip_rows(rows, x + c0, m, ldx, scratch.data(), chunk_cols, cols, y + j0, ldy, c0 > 0);
    }
    if (bias != nullptr) {
      for (int i = 0; i < m; ++i)
        for (int r = 0; r < rows; ++r) y[i * ldy + j0 + r] += bias[j0 + r];
    }
  }
}

}  // namespace strata::quant::avx512
