// AVX2 direct dequant-dot kernel for decode shapes (m <= 4 rows of x): each weight row is
// dequantized eight elements at a time in registers and multiplied into all m rows of x, so no
// dequantized copy of the weight exists anywhere. Single-threaded; callers split row ranges.
#include <immintrin.h>

#include "quant/codes_avx2.h"
#include "quant/group_codec.h"
#include "quant/kernels_avx2.h"

namespace strata::quant::avx2 {
namespace {

template <int M>
void gemm_rows(const float* x, int64_t ldx, const QuantMatrix& w, const float* bias, float* y,
               int64_t ldy) {
  const QuantFormat& f = w.format;
  const bool q4 = f.bits == QuantBits::k4;
  const int64_t g = f.group_size, bb = block_bytes(f), groups = groups_per_row(f, w.cols);
  for (int64_t j = 0; j < w.rows; ++j) {
    const uint8_t* block = w.data + j * row_bytes(f, w.cols);
    // Two accumulators per row of x break the fma latency chain (decode is latency bound). The
    // loop takes 16 codes a step so that both stay in registers: an accumulator picked by an index
    // computed at run time lived on the stack (the AVX-512 kernel ran 1.6-3.8x faster once its
    // loop was written this way, docs/benchmarks.md section 9).
    __m256 acc0[M], acc1[M];
    for (int i = 0; i < M; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
    for (int64_t grp = 0; grp < groups; ++grp, block += bb) {
      const GroupHeader h = load_header(block);
      const __m256 scale = _mm256_set1_ps(f16_to_f32(h.scale));
      const __m256 min = _mm256_set1_ps(f16_to_f32(h.min));
      const uint8_t* codes = block + sizeof(GroupHeader);
      const float* xg = x + grp * g;
      int64_t k = 0;
      for (; k + 16 <= g; k += 16) {
        const __m256 w0 = _mm256_fmadd_ps(load_codes_x8(codes + (q4 ? k / 2 : k), q4), scale, min);
        const __m256 w1 =
            _mm256_fmadd_ps(load_codes_x8(codes + (q4 ? (k + 8) / 2 : k + 8), q4), scale, min);
        for (int i = 0; i < M; ++i) {
          acc0[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xg + i * ldx + k), acc0[i]);
          acc1[i] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xg + i * ldx + k + 8), acc1[i]);
        }
      }
      if (k < g) {  // group_size % 8 == 0: one step of 8 left
        const __m256 w0 = _mm256_fmadd_ps(load_codes_x8(codes + (q4 ? k / 2 : k), q4), scale, min);
        for (int i = 0; i < M; ++i)
          acc0[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xg + i * ldx + k), acc0[i]);
      }
    }
    const float b = bias ? bias[j] : 0.0f;
    for (int i = 0; i < M; ++i) y[i * ldy + j] = horizontal_sum(_mm256_add_ps(acc0[i], acc1[i])) + b;
  }
}

}  // namespace

void gemm_small_m(const float* x, int m, int64_t ldx, const QuantMatrix& w, const float* bias,
                  float* y, int64_t ldy) {
  switch (m) {
    case 1:
      return gemm_rows<1>(x, ldx, w, bias, y, ldy);
    case 2:
      return gemm_rows<2>(x, ldx, w, bias, y, ldy);
    case 3:
      return gemm_rows<3>(x, ldx, w, bias, y, ldy);
    case 4:
      return gemm_rows<4>(x, ldx, w, bias, y, ldy);
    default:
      break;  // the front only sends 1..4
  }
}

}  // namespace strata::quant::avx2
