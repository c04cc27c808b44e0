// Fused dequant-GEMM for decode shapes (m <= 64): y[m, n] = x[m, k] . dequant(W)[n, k]^T + bias.
//
// Grid: x = blocks of kWarpsPerBlock weight rows (one warp per row), y = chunks of kRowsOfX rows
// of x. A lane takes 8 consecutive k at a time (one or two 32-bit code words inside one group),
// decodes them with group_codec.h's fmaf into registers, and multiplies them into every row of x
// in its chunk; the warp then reduces. W is read once per chunk of x and never stored in fp32.
// Accumulation is fp32 in a different order from any CPU path: compare with a tolerance.
#include <cuda_runtime.h>

#include "common/error.h"
#include "quant/cuda/quant_cuda.h"
#include "quant/group_codec.h"
#include "quant/reference.h"

namespace strata::quant::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;
constexpr int kRowsOfX = 8;

__device__ inline void decode8(const QuantFormat& f, const uint8_t* block, int64_t j, float* w) {
  const uint32_t hw = *reinterpret_cast<const uint32_t*>(block);
  const float scale = f16_to_f32(uint16_t(hw & 0xffffu)), min = f16_to_f32(uint16_t(hw >> 16));
  const uint32_t* words = reinterpret_cast<const uint32_t*>(block + sizeof(GroupHeader));
  if (f.bits == QuantBits::k4) {
    const uint32_t c = words[j];
#pragma unroll
    for (int e = 0; e < 8; ++e) w[e] = decode_value((c >> (4 * e)) & 0xfu, scale, min);
  } else {
    const uint32_t c0 = words[2 * j], c1 = words[2 * j + 1];
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      w[e] = decode_value((c0 >> (8 * e)) & 0xffu, scale, min);
      w[e + 4] = decode_value((c1 >> (8 * e)) & 0xffu, scale, min);
    }
  }
}

__global__ void gemm_decode_kernel(QuantFormat f, const float* __restrict__ x, int m, int64_t k,
                                   const uint8_t* __restrict__ w, int64_t n,
                                   const float* __restrict__ bias, float* __restrict__ y) {
  const int64_t row = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = int(threadIdx.x % kWarp);
  if (row >= n) return;  // whole warps leave together
  const int m0 = int(blockIdx.y) * kRowsOfX;
  const int mt = m - m0 < kRowsOfX ? m - m0 : kRowsOfX;
  const int64_t chunks_per_group = f.group_size / 8;
  const int64_t chunks = groups_per_row(f, k) * chunks_per_group;
  const uint8_t* wrow = w + row * row_bytes(f, k);
  const float* xb = x + int64_t(m0) * k;

  float acc[kRowsOfX];
#pragma unroll
  for (int i = 0; i < kRowsOfX; ++i) acc[i] = 0.0f;
  for (int64_t ch = lane; ch < chunks; ch += kWarp) {
    const int64_t g = ch / chunks_per_group, j = ch % chunks_per_group;
    const int64_t k0 = g * f.group_size + j * 8;
    if (k0 >= k) continue;  // padding of a ragged last group
    float wv[8];
    decode8(f, wrow + g * block_bytes(f), j, wv);
    const int ne = k - k0 < 8 ? int(k - k0) : 8;
#pragma unroll
    for (int i = 0; i < kRowsOfX; ++i) {
      if (i >= mt) break;
      const float* xr = xb + int64_t(i) * k + k0;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        if (e < ne) acc[i] = fmaf(wv[e], __ldg(xr + e), acc[i]);
      }
    }
  }
#pragma unroll
  for (int i = 0; i < kRowsOfX; ++i) {
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      acc[i] += __shfl_xor_sync(0xffffffffu, acc[i], offset);
    }
  }
  if (lane == 0) {
    const float b = bias ? bias[row] : 0.0f;
    for (int i = 0; i < mt; ++i) y[int64_t(m0 + i) * n + row] = acc[i] + b;
  }
}

}  // namespace

void gemm_decode(const float* x, int64_t m, const QuantMatrix& w, const float* bias, float* y,
                 Stream stream) {
  check_dequantize_args(w, 0, w.rows, y);
  STRATA_CHECK(w.format.axis == GroupAxis::kCols, "gemm_decode needs a kCols matrix, got ",
               format_name(w.format), "; dequantize rows into a tile and use cuBLAS instead");
  STRATA_CHECK(1 <= m && m <= kGemmDecodeMaxM, "gemm_decode takes 1..", kGemmDecodeMaxM,
               " rows of x, got ", m);
  if (w.rows == 0) return;
  STRATA_CHECK(y != nullptr && (x != nullptr || w.cols == 0), "gemm_decode with a null pointer");
  if (w.cols > 0) detail::check_packed_pointer(w.data);
  const int64_t grid_x = ceil_div(w.rows, kWarpsPerBlock);
  STRATA_CHECK(grid_x <= INT32_MAX, "gemm_decode: ", w.rows, " weight rows exceed one grid");
  const dim3 grid(unsigned(grid_x), unsigned(ceil_div(m, kRowsOfX)));
  gemm_decode_kernel<<<grid, kWarpsPerBlock * kWarp, 0, stream>>>(w.format, x, int(m), w.cols,
                                                                  w.data, w.rows, bias, y);
  detail::check_launch("gemm_decode_kernel");
}

}  // namespace strata::quant::cuda
