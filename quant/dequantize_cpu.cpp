#include "quant/dequantize_cpu.h"

#include "quant/kernels_avx2.h"
#include "quant/reference.h"

namespace strata::quant {

void dequantize_cpu(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out,
                    CpuIsa isa) {
  check_dequantize_args(w, row_begin, row_end, out);
  check_cpu_isa(isa);
  if (row_begin == row_end || w.cols == 0) return;
  switch (isa) {
    case CpuIsa::kScalar:
      dequantize_ref(w, row_begin, row_end, out);
      return;
    case CpuIsa::kAvx2:
    case CpuIsa::kAvx512:  // memory-bound: the AVX2 kernel already keeps up
      avx2::dequantize_rows(w, row_begin, row_end, out);
      return;
  }
}

}  // namespace strata::quant
