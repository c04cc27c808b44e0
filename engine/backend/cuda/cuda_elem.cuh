// Device helpers shared by the backend's kernels: element loads/stores of f32, f16 and bf16
// (bit-exact with engine/core/half.h: widening is exact, narrowing rounds to nearest even) and
// the launch geometry of grid-stride loops.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "engine/backend/cuda/cuda_kernels.h"

namespace strata::cuda::kernels {

inline constexpr int kThreads = 256;

__device__ inline float load_elem(const void* p, ElemType type, int64_t i) {
  switch (type) {
    case ElemType::f16: return __half2float(static_cast<const __half*>(p)[i]);
    case ElemType::bf16:
      return __uint_as_float(uint32_t(static_cast<const uint16_t*>(p)[i]) << 16);
    case ElemType::f32: break;
  }
  return static_cast<const float*>(p)[i];
}

// Round to nearest even; NaN stays a quiet NaN (engine/core/half.h f32_to_bf16).
__device__ inline uint16_t f32_to_bf16_bits(float f) {
  const uint32_t x = __float_as_uint(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

__device__ inline uint16_t f32_to_f16_bits(float f) { return __half_as_ushort(__float2half_rn(f)); }

// Blocks for a grid-stride loop over n items: enough to fill any GPU, never over the x limit.
inline unsigned grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return unsigned(blocks < 1 ? 1 : blocks > 65535 * 8 ? 65535 * 8 : blocks);
}

}  // namespace strata::cuda::kernels
