#include "quant/cpu_isa.h"

#include "common/error.h"
#include "quant/compute_pool.h"

namespace strata::quant {

CpuIsa detect_cpu_isa() {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  if (!avx2) return CpuIsa::kScalar;
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl");
  return avx512 ? CpuIsa::kAvx512 : CpuIsa::kAvx2;
}

std::vector<CpuIsa> runnable_cpu_isas() {
  std::vector<CpuIsa> isas;
  for (CpuIsa isa : {CpuIsa::kScalar, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    if (isa <= detect_cpu_isa()) isas.push_back(isa);
  }
  return isas;
}

void check_cpu_isa(CpuIsa isa) {
  STRATA_CHECK(isa <= detect_cpu_isa(), "CPU kernels asked for ", cpu_isa_name(isa),
               ", which this CPU cannot run");
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kScalar:
      return "scalar";
    case CpuIsa::kAvx2:
      return "avx2";
    case CpuIsa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

void CpuCompute::run(int team, int64_t tasks, const std::function<void(int64_t)>& fn) const {
  if (team <= 1 || tasks <= 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
  } else if (pool != nullptr) {
    pool->run(tasks, fn);
  } else {
    ComputePool(team).run(tasks, fn);
  }
}

}  // namespace strata::quant
