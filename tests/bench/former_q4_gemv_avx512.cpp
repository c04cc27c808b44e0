// See former_q4_gemv.h. Per 16 codes: load 8 bytes, split the nibbles (and, shift, and), unpack
// them into element order, widen to dwords, convert, FMA; the group's scale and minimum are
// applied once per group (minimum through x's group sums).
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the pass-through of their unmasked
// forms, which -Wuninitialized reports at every use (GCC bug 105593); nothing is uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "quant/group_codec.h"
#include "tests/bench/former_q4_gemv.h"

namespace strata::bench {
namespace {

inline __m512 load_q4_codes16(const uint8_t* p) {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i nibble = _mm_set1_epi8(0x0f);
  const __m128i lo = _mm_and_si128(bytes, nibble);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi8(lo, hi)));
}

}  // namespace

void former_q4_gemv(const float* x, const float* xsum, const quant::QuantMatrix& w, float* y) {
  using namespace quant;
  const QuantFormat& f = w.format;
  const int64_t g = f.group_size, bb = block_bytes(f), groups = groups_per_row(f, w.cols);
  for (int64_t j = 0; j < w.rows; ++j) {
    const uint8_t* block = w.data + j * row_bytes(f, w.cols);
    __m512 total = _mm512_setzero_ps();
    float min_part = 0.0f;
    for (int64_t grp = 0; grp < groups; ++grp, block += bb) {
      const GroupHeader h = load_header(block);
      const uint8_t* codes = block + sizeof(GroupHeader);
      const float* xg = x + grp * g;
      __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
      int64_t k = 0;
      for (; k + 32 <= g; k += 32) {
        acc0 = _mm512_fmadd_ps(load_q4_codes16(codes + k / 2), _mm512_loadu_ps(xg + k), acc0);
        acc1 = _mm512_fmadd_ps(load_q4_codes16(codes + (k + 16) / 2), _mm512_loadu_ps(xg + k + 16),
                               acc1);
      }
      if (k < g) {  // g = 16 (mod 32)
        acc0 = _mm512_fmadd_ps(load_q4_codes16(codes + k / 2), _mm512_loadu_ps(xg + k), acc0);
      }
      const __m512 scale = _mm512_set1_ps(_cvtsh_ss(h.scale));
      total = _mm512_fmadd_ps(_mm512_add_ps(acc0, acc1), scale, total);
      min_part += _cvtsh_ss(h.min) * xsum[grp];
    }
    y[j] = _mm512_reduce_add_ps(total) + min_part;
  }
}

}  // namespace strata::bench
