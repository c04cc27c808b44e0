// AVX2 dequantization of row ranges, both group axes. Eight elements per step; a ragged tail
// goes through the scalar definition (dequantize_element), so results match the reference bit
// for bit. No std:: templates here: an AVX2-compiled instantiation could be linked into
// portable callers (see fp16.h).
#include <immintrin.h>

#include "quant/codes_avx2.h"
#include "quant/group_codec.h"
#include "quant/kernels_avx2.h"

namespace strata::quant::avx2 {
namespace {

// Row r of a kCols matrix: blocks of [header][codes]; out: [cols].
void dequantize_row_cols_axis(const QuantMatrix& w, int64_t r, float* out) {
  const QuantFormat& f = w.format;
  const bool q4 = f.bits == QuantBits::k4;
  const int64_t g = f.group_size, bb = block_bytes(f);
  const uint8_t* row = w.data + r * row_bytes(f, w.cols);
  for (int64_t c0 = 0; c0 < w.cols; c0 += g, row += bb) {
    const GroupHeader h = load_header(row);
    const __m256 scale = _mm256_set1_ps(f16_to_f32(h.scale));
    const __m256 min = _mm256_set1_ps(f16_to_f32(h.min));
    const uint8_t* codes = row + sizeof(GroupHeader);
    const int64_t n = w.cols - c0 < g ? w.cols - c0 : g;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 q = load_codes_x8(codes + (q4 ? i / 2 : i), q4);
      _mm256_storeu_ps(out + c0 + i, _mm256_fmadd_ps(q, scale, min));
    }
    // Ragged group: the block holds a full group of codes, so the last 8 codes are readable.
    if (i < n) {
      alignas(32) float tail[8];
      const __m256 q = load_codes_x8(codes + (q4 ? i / 2 : i), q4);
      _mm256_store_ps(tail, _mm256_fmadd_ps(q, scale, min));
      for (int64_t j = i; j < n; ++j) out[c0 + j] = tail[j - i];
    }
  }
}

// Row r of a kRows matrix: headers per column in the band, codes of the row; out: [cols].
void dequantize_row_rows_axis(const QuantMatrix& w, int64_t r, float* out) {
  const QuantFormat& f = w.format;
  const bool q4 = f.bits == QuantBits::k4;
  const uint8_t* band = w.data + (r / f.group_size) * band_bytes(f, w.cols);
  const uint8_t* codes = band + w.cols * 4 + (r % f.group_size) * row_code_bytes(f, w.cols);
  int64_t c = 0;
  for (; c + 8 <= w.cols; c += 8) {
    __m256 scale, min;
    load_headers_x8(band + c * 4, &scale, &min);
    const __m256 q = load_codes_x8(codes + (q4 ? c / 2 : c), q4);
    _mm256_storeu_ps(out + c, _mm256_fmadd_ps(q, scale, min));
  }
  for (; c < w.cols; ++c) out[c] = dequantize_element(f, w.data, w.cols, r, c);
}

}  // namespace

void dequantize_rows(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out) {
  const bool cols_axis = w.format.axis == GroupAxis::kCols;
  for (int64_t r = row_begin; r < row_end; ++r) {
    float* o = out + (r - row_begin) * w.cols;
    if (cols_axis) {
      dequantize_row_cols_axis(w, r, o);
    } else {
      dequantize_row_rows_axis(w, r, o);
    }
  }
}

}  // namespace strata::quant::avx2
