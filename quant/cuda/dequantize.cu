// CUDA dequantizers of a row range, fp32 or fp16 output, both group axes. Each element is
// fmaf(code, scale, min) exactly as in group_codec.h, so fp32 output equals dequantize_ref's.
#include <cuda_runtime.h>

#include "common/error.h"
#include "quant/cuda/quant_cuda.h"
#include "quant/group_codec.h"
#include "quant/reference.h"

namespace strata::quant::cuda {
namespace {

constexpr int kThreads = 256;

__device__ inline void store_out(float* out, int64_t i, float v) { out[i] = v; }
__device__ inline void store_out(uint16_t* out, int64_t i, float v) { out[i] = f32_to_f16(v); }

// kCols: one thread per 8 consecutive elements of a group (one 32-bit word of 4-bit codes, two
// of 8-bit codes). Blocks are whole words (group_size % 8 == 0) and rows start 4-byte aligned.
template <typename T>
__global__ void dequantize_cols_axis(QuantFormat f, const uint8_t* packed, int64_t cols,
                                     int64_t row_begin, int64_t row_end, T* out) {
  const int64_t chunks_per_group = f.group_size / 8;
  const int64_t chunks_per_row = groups_per_row(f, cols) * chunks_per_group;
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= (row_end - row_begin) * chunks_per_row) return;
  const int64_t r = row_begin + t / chunks_per_row;
  const int64_t g = (t % chunks_per_row) / chunks_per_group;
  const int64_t j = (t % chunks_per_row) % chunks_per_group;
  const int64_t c0 = g * f.group_size + j * 8;
  if (c0 >= cols) return;  // padding of a ragged group
  const uint8_t* block = packed + r * row_bytes(f, cols) + g * block_bytes(f);
  const uint32_t hw = *reinterpret_cast<const uint32_t*>(block);
  const float scale = f16_to_f32(uint16_t(hw & 0xffffu)), min = f16_to_f32(uint16_t(hw >> 16));
  const uint32_t* words = reinterpret_cast<const uint32_t*>(block + sizeof(GroupHeader));
  uint32_t codes[8];
  if (f.bits == QuantBits::k4) {
    const uint32_t w = words[j];
    for (int e = 0; e < 8; ++e) codes[e] = (w >> (4 * e)) & 0xfu;
  } else {
    const uint32_t w0 = words[2 * j], w1 = words[2 * j + 1];
    for (int e = 0; e < 4; ++e) {
      codes[e] = (w0 >> (8 * e)) & 0xffu;
      codes[e + 4] = (w1 >> (8 * e)) & 0xffu;
    }
  }
  T* o = out + (r - row_begin) * cols;
  for (int e = 0; e < 8 && c0 + e < cols; ++e)
    store_out(o, c0 + e, decode_value(codes[e], scale, min));
}

// kRows: one thread per element; adjacent threads read adjacent headers and code bytes.
template <typename T>
__global__ void dequantize_rows_axis(QuantFormat f, const uint8_t* packed, int64_t cols,
                                     int64_t row_begin, int64_t row_end, T* out) {
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= (row_end - row_begin) * cols) return;
  const int64_t r = row_begin + t / cols, c = t % cols;
  store_out(out, t, dequantize_element(f, packed, cols, r, c));
}

template <typename T>
void launch(const QuantMatrix& w, int64_t row_begin, int64_t row_end, T* out, Stream stream) {
  check_dequantize_args(w, row_begin, row_end, out);
  if (row_begin == row_end || w.cols == 0) return;
  detail::check_packed_pointer(w.data);
  const QuantFormat& f = w.format;
  const int64_t rows = row_end - row_begin;
  const int64_t threads = f.axis == GroupAxis::kCols
                              ? rows * groups_per_row(f, w.cols) * (f.group_size / 8)
                              : rows * w.cols;
  const int64_t grid = ceil_div(threads, kThreads);
  STRATA_CHECK(grid <= INT32_MAX, "dequantize: ", threads, " threads exceed one grid");
  if (f.axis == GroupAxis::kCols) {
    dequantize_cols_axis<T>
        <<<int(grid), kThreads, 0, stream>>>(f, w.data, w.cols, row_begin, row_end, out);
    detail::check_launch("dequantize_cols_axis");
  } else {
    dequantize_rows_axis<T>
        <<<int(grid), kThreads, 0, stream>>>(f, w.data, w.cols, row_begin, row_end, out);
    detail::check_launch("dequantize_rows_axis");
  }
}

}  // namespace

void dequantize(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out,
                Stream stream) {
  launch(w, row_begin, row_end, out, stream);
}

void dequantize_f16(const QuantMatrix& w, int64_t row_begin, int64_t row_end, uint16_t* out,
                    Stream stream) {
  launch(w, row_begin, row_end, out, stream);
}

}  // namespace strata::quant::cuda
