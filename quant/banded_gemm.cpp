#include "quant/banded_gemm.h"

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "quant/sgemm_cpu.h"

namespace strata::quant {

void banded_gemm(const float* x, int64_t m, int64_t n, int64_t k, int64_t unit,
                 const DecodeRows& decode, float* y, int64_t ldy, const CpuCompute& cpu) {
  STRATA_CHECK(m >= 0 && n >= 0 && k >= 1 && unit >= 1 && ldy >= n, "banded GEMM m = ", m,
               ", n = ", n, ", k = ", k, ", unit = ", unit, ", ldy = ", ldy);
  if (m == 0 || n == 0) return;
  constexpr int64_t kBandFloats = int64_t(1) << 18;  // 1 MiB of fp32 per thread
  const int64_t band = std::clamp<int64_t>(kBandFloats / k / unit * unit, unit, n);
  const int64_t bands = (n + band - 1) / band;
  cpu.run(int(std::min<int64_t>(bands, cpu.threads)), bands, [&](int64_t b) {
    thread_local std::vector<float> scratch;
    scratch.resize(size_t(band * k));
    const int64_t r0 = b * band, rows = std::min(band, n - r0);
    decode(r0, r0 + rows, scratch.data());
    sgemm_nt(x, scratch.data(), y + r0, {m, rows, k, ldy}, 1);
  });
}

}  // namespace strata::quant
