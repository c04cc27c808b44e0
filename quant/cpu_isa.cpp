#include "quant/cpu_isa.h"

#include "common/error.h"

namespace strata::quant {

CpuIsa detect_cpu_isa() {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  return avx2 ? CpuIsa::kAvx2 : CpuIsa::kScalar;
}

void check_cpu_isa(CpuIsa isa) {
  STRATA_CHECK(isa == CpuIsa::kScalar || (isa == CpuIsa::kAvx2 && detect_cpu_isa() == isa),
               "quant kernels asked for ", cpu_isa_name(isa), ", which this CPU cannot run");
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kScalar:
      return "scalar";
    case CpuIsa::kAvx2:
      return "avx2";
  }
  return "unknown";
}

}  // namespace strata::quant
