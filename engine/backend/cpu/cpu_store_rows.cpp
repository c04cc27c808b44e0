// CPU store_rows: a copy for an f32 target, quant's scalar reference quantizer for q4/q8 (the
// bytes every other path — the KV cache's store_kv_rows, CUDA's quantize kernel — must match).
#include <cstring>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/quantize_matrix.h"
#include "quant/reference.h"

namespace strata {

void CpuBackend::do_store_rows(const Tensor& x, const Tensor& out) {
  if (out.dtype() == DType::f32) {
    std::memcpy(out.data(), x.data(), out.nbytes());
    return;
  }
  quant::quantize_ref(quant_format_of(out.format()), x.data<float>(), x.dim(0), x.dim(1),
                      out.data<uint8_t>());
}

}  // namespace strata
