// CUDA quantizers, fp32 or fp16 input, both group axes. They evaluate the same group_codec.h
// functions as quantize_ref, so the packed bytes are identical to the reference's.
#include <cuda_runtime.h>

#include "common/error.h"
#include "quant/cuda/quant_cuda.h"
#include "quant/group_codec.h"

namespace strata::quant::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 256;

__device__ inline float load_input(const float* x, int64_t i) {
  return saturate_to_fp16_range(x[i]);
}
__device__ inline float load_input(const uint16_t* x, int64_t i) {
  return saturate_to_fp16_range(f16_to_f32(x[i]));
}

// kCols: one warp per group of row r, columns [c0, c0 + n).
template <typename T>
__global__ void quantize_cols_axis(QuantFormat f, const T* x, int64_t rows, int64_t cols,
                                   uint8_t* out) {
  const int64_t groups = groups_per_row(f, cols);
  const int64_t warp = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = int(threadIdx.x % kWarp);
  if (warp >= rows * groups) return;  // whole warps leave together
  const int64_t r = warp / groups, c0 = (warp % groups) * f.group_size;
  const int n = int(cols - c0 < f.group_size ? cols - c0 : f.group_size);
  const T* xg = x + r * cols + c0;

  float lo = kFp16Max, hi = -kFp16Max;
  for (int i = lane; i < n; i += kWarp) {
    const float v = load_input(xg, i);
    lo = fminf(lo, v);
    hi = fmaxf(hi, v);
  }
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, offset));
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, offset));
  }
  const GroupHeader h = make_group_header(lo, hi, f.bits);
  const float scale = f16_to_f32(h.scale), min = f16_to_f32(h.min);
  const int levels = code_levels(f.bits);
  uint8_t* block = out + r * row_bytes(f, cols) + (c0 / f.group_size) * block_bytes(f);
  if (lane == 0) store_header(block, h);
  uint8_t* codes = block + sizeof(GroupHeader);
  if (f.bits == QuantBits::k4) {
    for (int p = lane; p < f.group_size / 2; p += kWarp) {
      const int i = 2 * p;  // padding of a ragged group gets code 0
      const uint32_t low = i < n ? encode_value(load_input(xg, i), scale, min, levels) : 0u;
      const uint32_t high =
          i + 1 < n ? encode_value(load_input(xg, i + 1), scale, min, levels) : 0u;
      codes[p] = uint8_t(low | (high << 4));
    }
  } else {
    for (int i = lane; i < f.group_size; i += kWarp) {
      codes[i] = uint8_t(i < n ? encode_value(load_input(xg, i), scale, min, levels) : 0u);
    }
  }
}

// kRows: one thread per (band, column unit); a 4-bit unit is a column pair sharing code bytes.
template <typename T>
__global__ void quantize_rows_axis(QuantFormat f, const T* x, int64_t rows, int64_t cols,
                                   uint8_t* out) {
  const int per_unit = f.bits == QuantBits::k4 ? 2 : 1;
  const int64_t units = ceil_div(cols, per_unit);
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= band_count(f, rows) * units) return;
  const int64_t band = t / units, c0 = (t % units) * per_unit;
  const int64_t r0 = band * f.group_size;
  const int64_t n = rows - r0 < f.group_size ? rows - r0 : f.group_size;
  const int nc = int(cols - c0 < per_unit ? cols - c0 : per_unit);
  uint8_t* base = out + band * band_bytes(f, cols);

  float scale[2] = {0.0f, 0.0f}, min[2] = {0.0f, 0.0f};
  for (int j = 0; j < nc; ++j) {
    float lo = kFp16Max, hi = -kFp16Max;
    for (int64_t r = r0; r < r0 + n; ++r) {
      const float v = load_input(x, r * cols + c0 + j);
      lo = fminf(lo, v);
      hi = fmaxf(hi, v);
    }
    const GroupHeader h = make_group_header(lo, hi, f.bits);
    store_header(base + (c0 + j) * 4, h);
    scale[j] = f16_to_f32(h.scale);
    min[j] = f16_to_f32(h.min);
  }
  const int levels = code_levels(f.bits);
  const int64_t rcb = row_code_bytes(f, cols);
  uint8_t* codes = base + cols * 4 + c0 * bit_count(f.bits) / 8;
  for (int64_t rr = 0; rr < f.group_size; ++rr) {
    uint32_t byte = 0;  // rows past the end of a ragged band get code 0
    for (int j = 0; j < nc && rr < n; ++j) {
      const float v = load_input(x, (r0 + rr) * cols + c0 + j);
      byte |= encode_value(v, scale[j], min[j], levels) << (4 * j);
    }
    codes[rr * rcb] = uint8_t(byte);
  }
}

int grid_for(int64_t threads) {
  const int64_t blocks = ceil_div(threads, kThreads);
  STRATA_CHECK(blocks <= INT32_MAX, "quantize: ", threads, " threads exceed one grid");
  return int(blocks);
}

template <typename T>
void launch(const QuantFormat& f, const T* x, int64_t rows, int64_t cols, uint8_t* out,
            Stream stream) {
  const int64_t bytes = packed_bytes(f, rows, cols);  // checks format and shape
  if (bytes == 0) return;
  STRATA_CHECK(x != nullptr && out != nullptr, "quantize of a [", rows, ", ", cols,
               "] matrix with a null pointer");
  detail::check_packed_pointer(out);
  if (f.axis == GroupAxis::kCols) {
    const int grid = grid_for(rows * groups_per_row(f, cols) * kWarp);
    quantize_cols_axis<T><<<grid, kThreads, 0, stream>>>(f, x, rows, cols, out);
    detail::check_launch("quantize_cols_axis");
  } else {
    const int64_t units = ceil_div(cols, f.bits == QuantBits::k4 ? 2 : 1);
    const int grid = grid_for(band_count(f, rows) * units);
    quantize_rows_axis<T><<<grid, kThreads, 0, stream>>>(f, x, rows, cols, out);
    detail::check_launch("quantize_rows_axis");
  }
}

}  // namespace

void quantize(const QuantFormat& f, const float* x, int64_t rows, int64_t cols, uint8_t* out,
              Stream stream) {
  launch(f, x, rows, cols, out, stream);
}

void quantize_f16(const QuantFormat& f, const uint16_t* x, int64_t rows, int64_t cols, uint8_t* out,
                  Stream stream) {
  launch(f, x, rows, cols, out, stream);
}

}  // namespace strata::quant::cuda
