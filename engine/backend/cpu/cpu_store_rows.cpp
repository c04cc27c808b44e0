// CPU store_rows: a copy for an f32 target, round-to-nearest-even for f16/bf16 (engine/core/
// half.h), quant's scalar reference quantizer for q4/q8 (the bytes every other path — the KV
// cache's store_kv_rows, CUDA's conversion and quantize kernels — must match).
#include <cstring>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/half.h"
#include "engine/core/quantize_matrix.h"
#include "quant/reference.h"

namespace strata {

void CpuBackend::do_store_rows(const Tensor& x, const Tensor& out) {
  const float* in = x.data<float>();
  const int64_t n = x.numel();
  switch (out.dtype()) {
    case DType::f32:
      std::memcpy(out.data(), in, out.nbytes());
      return;
    case DType::f16:
    case DType::bf16:
      round_to_half(in, n, out.dtype() == DType::bf16, out.data<uint16_t>());
      return;
    default: break;
  }
  quant::quantize_ref(quant_format_of(out.format()), in, x.dim(0), x.dim(1),
                      out.data<uint8_t>());
}

}  // namespace strata
