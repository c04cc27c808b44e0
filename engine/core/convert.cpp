#include "engine/core/convert.h"

#include <cstring>

#include "common/error.h"

namespace strata {

void convert_to_f32(const void* src, DType dtype, int64_t n, float* dst) {
  switch (dtype) {
    case DType::f32:
      std::memcpy(dst, src, size_t(n) * sizeof(float));
      return;
    case DType::f16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case DType::bf16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DType::i32:
    case DType::q4:
    case DType::q8: break;  // packed: quant/dequantize_cpu.h
  }
  STRATA_CHECK(false, "cannot convert ", dtype_name(dtype), " to f32");
}

}  // namespace strata
