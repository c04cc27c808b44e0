// Conversions of stored elements (f32, f16, bf16) to fp32 for compute.
#pragma once

#include <cstdint>

#include "engine/core/dtype.h"
#include "engine/core/half.h"

namespace strata {

// dst[i] = float(src[i]) for i < n; src holds elements of `dtype` (f32, f16 or bf16).
void convert_to_f32(const void* src, DType dtype, int64_t n, float* dst);

// One element, for short vectors (biases, layer-norm gains).
inline float element_f32(const void* src, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::f32: return static_cast<const float*>(src)[i];
    case DType::f16: return f16_to_f32(static_cast<const uint16_t*>(src)[i]);
    case DType::bf16: return bf16_to_f32(static_cast<const uint16_t*>(src)[i]);
    case DType::i32: return float(static_cast<const int32_t*>(src)[i]);
    case DType::q4:
    case DType::q8: break;  // packed matrices are never read element by element
  }
  return 0.0f;
}

}  // namespace strata
